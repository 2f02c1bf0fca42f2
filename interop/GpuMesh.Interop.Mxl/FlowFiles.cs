namespace GpuMesh.Interop.Mxl;

/// <summary>
/// Flow file handling shared by the discrete and continuous writers and readers: the atomic creation protocol
/// (temp dir, files, rename-no-replace, else open the existing flow), shared flocks, opening and validating
/// the data file, and the last writer's removal of the flow.
/// </summary>
internal static class FlowFiles
{
    /// <summary>
    /// Creates the flow in a temp directory and publishes it with renameat2(NOREPLACE), or opens the flow that
    /// already exists. <paramref name="tryOpenExisting"/> returns null when the flow vanished or is being removed
    /// (then it tries again); <paramref name="published"/> gets the writer and the final directory once it won.
    /// </summary>
    public static TWriter CreateOrOpen<TWriter>(MxlDomain domain, Guid id, Func<string, TWriter?> tryOpenExisting,
        Func<string, TWriter> buildNew, Action<TWriter, string> published, Action<TWriter> closeFiles, out bool created)
        where TWriter : class
    {
        string final = domain.FlowDirectory(id);
        for (int attempt = 0; attempt < 100; attempt++)
        {
            if (Directory.Exists(final))
            {
                TWriter? existing = tryOpenExisting(final);
                if (existing is not null)
                {
                    created = false;
                    return existing;
                }
                Thread.Sleep(1); // the flow is being removed by its last writer or GC: try again
                continue;
            }
            string tmp = FlowRemoval.MakeTempDirectory(domain);
            TWriter? writer = null;
            try
            {
                writer = buildNew(tmp);
                if (FlowRemoval.Publish(tmp, final, id))
                {
                    published(writer, final);
                    created = true;
                    return writer;
                }
            }
            catch
            {
                if (writer is not null) closeFiles(writer);
                FlowRemoval.TryDelete(tmp);
                throw;
            }
            closeFiles(writer);
            FlowRemoval.TryDelete(tmp);
        }
        throw new MxlException(MxlStatus.Conflict, $"flow {id}: could neither create nor open the flow (it keeps being removed)", id);
    }

    /// <summary>
    /// Writes flow_def.json and creates the data file (shared-locked) with a fresh header in a new flow directory.
    /// </summary>
    public static unsafe MappedFile CreateData(FlowDefinition def, string dir, uint commit, uint sync, uint grainCount, uint bufferLength)
    {
        File.WriteAllText(Path.Combine(dir, FlowLayout.FlowDefFileName), def.Json);
        MappedFile data = MappedFile.Create(Path.Combine(dir, FlowLayout.DataFileName), FlowLayout.DataFileSize, def.Id, "data");
        try
        {
            data.TryLock(Native.LOCK_SH);
            FlowInfo.WriteNew(data.Pointer, def, commit, sync, grainCount, bufferLength, data.Inode);
            return data;
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing flow for writing; null when it vanished or is being removed. <paramref name="checkStored"/>
    /// rejects a stored definition the writer cannot use; <paramref name="open"/> maps the remaining files
    /// (shared-locked), adding each to the list so that they are released when opening fails.
    /// </summary>
    public static TWriter? TryOpenExisting<TWriter>(FlowDefinition def, string dir, Action<FlowDefinition> checkStored,
        Func<FlowDefinition, MappedFile, FlowInfo, List<MappedFile>, TWriter> open) where TWriter : class
    {
        string json;
        try
        {
            json = File.ReadAllText(Path.Combine(dir, FlowLayout.FlowDefFileName));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        FlowDefinition stored = MxlDomain.ParseStoredDefinition(def.Id, json);
        checkStored(stored);

        MappedFile data;
        try
        {
            data = MappedFile.Open(Path.Combine(dir, FlowLayout.DataFileName), true, FlowLayout.DataFileSize, def.Id, "data");
        }
        catch (MxlException e) when (e.Status == MxlStatus.FlowNotFound)
        {
            return null;
        }
        List<MappedFile> files = [];
        try
        {
            if (!data.TryLock(Native.LOCK_SH) || Native.TryStat(data.Path)?.Inode != data.Inode)
            {
                data.Dispose();
                return null;
            }
            FlowInfo info;
            unsafe { info = FlowInfo.Read(data.Pointer, data.Length, def.Id, stored); }
            return open(stored, data, info, files);
        }
        catch (MxlException e) when (e.Status == MxlStatus.FlowNotFound)
        {
            foreach (MappedFile f in files) f.Dispose();
            data.Dispose();
            return null;
        }
        catch
        {
            foreach (MappedFile f in files) f.Dispose();
            data.Dispose();
            throw;
        }
    }

    /// <summary>Releases a writer's data file; the last writer (exclusive flock granted) removes the flow directory.</summary>
    public static void ReleaseWriter(MappedFile data, string dir)
    {
        if (data.TryLock(Native.LOCK_EX))
            FlowRemoval.RemoveIfSame(dir, data.Inode);
    }

    /// <summary>
    /// Opens a flow's data file read-only for a reader of the given kind and validates its header (inode, host
    /// payload). The caller owns the returned data file.
    /// </summary>
    public static unsafe MappedFile OpenForReading(MxlDomain domain, Guid id, bool continuous, out FlowDefinition def, out FlowInfo info, out string dir)
    {
        dir = domain.FlowDirectory(id);
        if (!Directory.Exists(dir))
            throw new MxlException(MxlStatus.FlowNotFound, $"flow {id} not found in domain '{domain.Path}'", id);
        def = MxlDomain.ParseStoredDefinition(id, domain.GetFlowDefinition(id));
        if (def.IsContinuous != continuous)
            throw new MxlException(MxlStatus.InvalidArg, continuous
                ? $"flow {id} is a discrete ({def.MediaType}) flow: use OpenFlowReader"
                : $"flow {id} is a continuous (audio) flow: use OpenContinuousFlowReader", id);
        MappedFile data = MappedFile.Open(Path.Combine(dir, FlowLayout.DataFileName), false, FlowLayout.DataFileSize, id, "data");
        try
        {
            info = FlowInfo.Read(data.Pointer, data.Length, id, def);
            if (info.Inode != data.Inode)
                throw new MxlFlowCorruptException(id, "data.inode", $"{info.Inode} is not the inode of the data file ({data.Inode})");
            if (info.PayloadLocation != 0)
                throw new MxlException(MxlStatus.InvalidArg,
                    $"flow {id} keeps its payload in device memory (device {info.DeviceIndex}); a host-memory reader cannot read it", id);
            return data;
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }
}
