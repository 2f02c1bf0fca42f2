using System.Globalization;
using System.Text.Json;

namespace GpuMesh.Interop.Mxl;

/// <summary>
/// An MXL domain: a directory (normally on tmpfs) holding one <c>&lt;uuid&gt;.mxl-flow</c> directory per flow.
/// </summary>
public sealed class MxlDomain : IDisposable
{
    private readonly List<string> _warnings = [];

    private MxlDomain(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>History duration from options.json (default 200 ms).</summary>
    public ulong HistoryDurationNs { get; private set; } = FlowLayout.DefaultHistoryDurationNs;

    /// <summary>Whether the domain directory is on tmpfs (shared memory).</summary>
    public bool IsOnTmpfs => Native.FileSystemType(Path) == Native.TMPFS_MAGIC;

    /// <summary>Non-fatal problems found while opening (e.g. an invalid options.json).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Opens a domain directory, creating it when missing and <paramref name="create"/> is set.</summary>
    public static MxlDomain Open(string path, bool create = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            if (!create)
                throw new MxlException(MxlStatus.InvalidArg, $"MXL domain '{full}' does not exist");
            Directory.CreateDirectory(full);
        }
        MxlDomain domain = new(full);
        domain.ReadOptions();
        return domain;
    }

    private void ReadOptions()
    {
        string file = System.IO.Path.Combine(Path, FlowLayout.OptionsFileName);
        if (!File.Exists(file)) return;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException("not a JSON object");
            if (doc.RootElement.TryGetProperty(FlowLayout.HistoryOptionKey, out JsonElement h))
            {
                // MXL reads the value as a double and truncates it (4e8 and 400000000.5 are fine).
                if (h.ValueKind != JsonValueKind.Number || !h.TryGetDouble(out double ns) || !double.IsFinite(ns) || ns < 1 || ns >= 1.8e19)
                    throw new FormatException($"'{FlowLayout.HistoryOptionKey}' must be a number of nanoseconds >= 1, got {h.GetRawText()}");
                HistoryDurationNs = h.TryGetUInt64(out ulong exact) ? exact : (ulong)Math.Truncate(ns);
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or UnauthorizedAccessException)
        {
            string warning = $"MXL domain '{Path}': ignoring invalid {FlowLayout.OptionsFileName}: {e.Message}";
            _warnings.Add(warning);
            Console.Error.WriteLine("warning: " + warning);
        }
    }

    /// <summary>The directory of a flow (whether or not it exists).</summary>
    public string FlowDirectory(Guid id)
        => System.IO.Path.Combine(Path, id.ToString("D", CultureInfo.InvariantCulture) + FlowLayout.FlowDirectorySuffix);

    /// <summary>Ids of every <c>&lt;uuid&gt;.mxl-flow</c> directory; anything else is ignored.</summary>
    public IReadOnlyList<Guid> ListFlows()
    {
        List<Guid> ids = [];
        foreach (string dir in Directory.EnumerateDirectories(Path, "*" + FlowLayout.FlowDirectorySuffix))
        {
            string name = System.IO.Path.GetFileName(dir);
            string stem = name[..^FlowLayout.FlowDirectorySuffix.Length];
            if (Guid.TryParseExact(stem, "D", out Guid id)) ids.Add(id);
        }
        ids.Sort();
        return ids;
    }

    public bool FlowExists(Guid id) => Directory.Exists(FlowDirectory(id));

    /// <summary>A flow is active iff an exclusive non-blocking lock on its data file fails (a writer holds it).</summary>
    public bool IsFlowActive(Guid id)
    {
        string data = System.IO.Path.Combine(FlowDirectory(id), FlowLayout.DataFileName);
        int fd = Native.Open(data, Native.O_RDONLY | Native.O_CLOEXEC, 0);
        if (fd < 0) return false;
        try
        {
            if (Native.Flock(fd, Native.LOCK_EX | Native.LOCK_NB) == 0)
            {
                Native.Flock(fd, Native.LOCK_UN);
                return false;
            }
            return true;
        }
        finally
        {
            Native.Close(fd);
        }
    }

    /// <summary>
    /// Removes every flow whose data file can be locked exclusively (no writer alive) and returns their count.
    /// Also removes temporary creation directories left by crashed creators (unlocked and older than 10 s).
    /// </summary>
    public int CollectGarbage()
    {
        RemoveStaleTempDirectories(TimeSpan.FromSeconds(10));
        int removed = 0;
        foreach (Guid id in ListFlows())
        {
            string dir = FlowDirectory(id);
            string data = System.IO.Path.Combine(dir, FlowLayout.DataFileName);
            int fd = Native.Open(data, Native.O_RDONLY | Native.O_CLOEXEC, 0);
            // As MXL: a flow directory without a (readable) data file is skipped, never deleted (it may belong to a
            // creator that publishes its files differently; our own creators publish complete directories atomically).
            if (fd < 0) continue;
            try
            {
                if (Native.Flock(fd, Native.LOCK_EX | Native.LOCK_NB) == 0 && FlowRemoval.RemoveIfSame(dir, Native.FStat(fd, data).Inode))
                    removed++;
            }
            finally
            {
                Native.Close(fd);
            }
        }
        return removed;
    }

    private void RemoveStaleTempDirectories(TimeSpan minAge)
    {
        foreach (string dir in Directory.EnumerateDirectories(Path, FlowLayout.TempDirectoryPrefix + "*"))
        {
            DateTime modified;
            try
            {
                modified = Directory.GetLastWriteTimeUtc(dir);
            }
            catch (IOException)
            {
                continue;
            }
            if (DateTime.UtcNow - modified < minAge) continue;
            int fd = Native.Open(System.IO.Path.Combine(dir, FlowLayout.DataFileName), Native.O_RDONLY | Native.O_CLOEXEC, 0);
            if (fd < 0)
            {
                FlowRemoval.TryDelete(dir);
                continue;
            }
            try
            {
                if (Native.Flock(fd, Native.LOCK_EX | Native.LOCK_NB) == 0) FlowRemoval.TryDelete(dir);
            }
            finally
            {
                Native.Close(fd);
            }
        }
    }

    /// <summary>The flow_def.json text of a flow, exactly as written.</summary>
    public string GetFlowDefinition(Guid id)
    {
        string file = System.IO.Path.Combine(FlowDirectory(id), FlowLayout.FlowDefFileName);
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MxlException(MxlStatus.FlowNotFound, $"flow {id} not found in domain '{Path}'", id, e);
        }
    }

    /// <summary>A validated snapshot of a flow's header (discrete or continuous), read-only.</summary>
    public unsafe FlowInfo GetFlowInfo(Guid id)
    {
        FlowDefinition def = ParseStoredDefinition(id, GetFlowDefinition(id));
        string data = System.IO.Path.Combine(FlowDirectory(id), FlowLayout.DataFileName);
        using MappedFile map = MappedFile.Open(data, false, FlowLayout.DataFileSize, id, "data");
        return FlowInfo.Read(map.Pointer, map.Length, id, def);
    }

    internal static FlowDefinition ParseStoredDefinition(Guid id, string json)
    {
        FlowDefinition def;
        try
        {
            def = FlowDefinition.ParseStored(json);
        }
        catch (MxlFlowDefinitionException e)
        {
            throw new MxlFlowCorruptException(id, FlowLayout.FlowDefFileName, e.Message);
        }
        if (def.Id != id)
            throw new MxlFlowCorruptException(id, FlowLayout.FlowDefFileName, $"id {def.Id} does not match the directory name");
        return def;
    }

    /// <summary>Creates (atomically) or opens a discrete flow (video/v210, video/v210a, video/smpte291) for writing.</summary>
    public FlowWriter CreateFlowWriter(string flowDefJson, string? writerOptionsJson, out bool created)
    {
        FlowDefinition def = FlowDefinition.Parse(flowDefJson);
        if (def.IsContinuous)
            throw new MxlException(MxlStatus.InvalidArg, $"flow {def.Id} is an audio (continuous) flow: use CreateContinuousFlowWriter", def.Id);
        return FlowWriter.CreateOrOpen(this, def, FlowWriterOptions.Parse(writerOptionsJson), out created);
    }

    public FlowWriter CreateFlowWriter(string flowDefJson, string? writerOptionsJson = null)
        => CreateFlowWriter(flowDefJson, writerOptionsJson, out _);

    /// <summary>Creates or opens a discrete flow from a typed definition and options.</summary>
    public FlowWriter CreateFlowWriter(FlowDefinition definition, FlowWriterOptions? options, out bool created)
    {
        if (definition.IsContinuous)
            throw new MxlException(MxlStatus.InvalidArg, $"flow {definition.Id} is an audio (continuous) flow: use CreateContinuousFlowWriter", definition.Id);
        return FlowWriter.CreateOrOpen(this, definition, options ?? new FlowWriterOptions(), out created);
    }

    /// <summary>Opens a discrete flow for reading (all files read-only, PROT_READ).</summary>
    public FlowReader OpenFlowReader(Guid id) => FlowReader.Open(this, id);

    /// <summary>Creates (atomically) or opens a continuous (audio/float32) flow for writing.</summary>
    public ContinuousFlowWriter CreateContinuousFlowWriter(string flowDefJson, string? writerOptionsJson, out bool created)
    {
        FlowDefinition def = FlowDefinition.Parse(flowDefJson);
        if (!def.IsContinuous)
            throw new MxlException(MxlStatus.InvalidArg, $"flow {def.Id} is a discrete ({def.MediaType}) flow: use CreateFlowWriter", def.Id);
        return ContinuousFlowWriter.CreateOrOpen(this, def, FlowWriterOptions.Parse(writerOptionsJson), out created);
    }

    public ContinuousFlowWriter CreateContinuousFlowWriter(string flowDefJson, string? writerOptionsJson = null)
        => CreateContinuousFlowWriter(flowDefJson, writerOptionsJson, out _);

    /// <summary>Creates or opens a continuous flow from a typed definition and options.</summary>
    public ContinuousFlowWriter CreateContinuousFlowWriter(FlowDefinition definition, FlowWriterOptions? options, out bool created)
    {
        if (!definition.IsContinuous)
            throw new MxlException(MxlStatus.InvalidArg, $"flow {definition.Id} is a discrete ({definition.MediaType}) flow: use CreateFlowWriter", definition.Id);
        return ContinuousFlowWriter.CreateOrOpen(this, definition, options ?? new FlowWriterOptions(), out created);
    }

    /// <summary>Opens a continuous (audio) flow for reading.</summary>
    public ContinuousFlowReader OpenContinuousFlowReader(Guid id) => ContinuousFlowReader.Open(this, id);

    public void Dispose()
    {
        // The domain holds no resources; flows belong to their writers and readers.
    }
}

/// <summary>Flow directory creation (temp dir + renameat2 NOREPLACE) and removal.</summary>
internal static class FlowRemoval
{
    public static bool TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Deletes a flow directory only if its data file is still the one with this inode.</summary>
    public static bool RemoveIfSame(string dir, ulong inode)
    {
        Native.FileStat? st = Native.TryStat(System.IO.Path.Combine(dir, FlowLayout.DataFileName));
        if (st is null || st.Value.Inode != inode) return false;
        return TryDelete(dir);
    }

    public static string MakeTempDirectory(MxlDomain domain)
    {
        string tmp = Native.MakeTempDirectory(System.IO.Path.Combine(domain.Path, FlowLayout.TempDirectoryPrefix + "XXXXXXXXXXXXXXXX"));
        Native.Chmod(tmp, 0x1ED /* 0755: g+rx,o+rx */);
        return tmp;
    }

    /// <summary>renameat2(tmp, final, RENAME_NOREPLACE): true when published, false when another writer won.</summary>
    public static bool Publish(string tmp, string final, Guid id)
    {
        if (Native.Renameat2(Native.AT_FDCWD, tmp, Native.AT_FDCWD, final, Native.RENAME_NOREPLACE) == 0)
            return true;
        int errno = Native.LastErrno;
        if (errno == Native.EEXIST || errno == Native.ENOTEMPTY) return false;
        throw new MxlException(MxlStatus.Unknown, $"flow {id}: cannot publish '{tmp}' as '{final}': {Native.ErrnoText(errno)}", id);
    }
}
