using System.Runtime.InteropServices;

namespace GpuMesh.Interop.Mxl;

/// <summary>
/// The grain opened by <see cref="FlowWriter.OpenGrain"/>: its payload lives in the ring slot's shared mapping
/// (zero copy). Valid until the grain is committed completely, committed invalid, or cancelled.
/// </summary>
public readonly unsafe struct GrainWriteAccess
{
    internal GrainWriteAccess(ulong index, int slot, ushort totalSlices, int size, nint payload, nint userArea, uint[] sliceSizes)
    {
        Index = index;
        Slot = slot;
        TotalSlices = totalSlices;
        Size = size;
        PayloadAddress = payload;
        UserAreaAddress = userArea;
        SliceSizes = sliceSizes;
    }

    public ulong Index { get; }
    public int Slot { get; }
    public ushort TotalSlices { get; }
    public int Size { get; }

    /// <summary>Payload start, page aligned (offset 8192 of the grain file).</summary>
    public nint PayloadAddress { get; }
    public nint UserAreaAddress { get; }

    /// <summary>Bytes per slice per plane (v210 line, key line, 0, 0).</summary>
    public IReadOnlyList<uint> SliceSizes { get; }

    public Span<byte> Payload => new((void*)PayloadAddress, Size);

    /// <summary>The 4096-byte free user area of the grain header (e.g. transmit timestamps).</summary>
    public Span<byte> UserArea => new((void*)UserAreaAddress, FlowLayout.GrainUserAreaSize);
}

/// <summary>
/// Writes a discrete (video / data) flow. One grain may be open at a time; not thread safe.
/// Holds shared flocks on the flow's files for its lifetime; when the last writer is disposed the flow is removed.
/// </summary>
public sealed unsafe class FlowWriter : IDisposable
{
    private readonly MappedFile _data;
    private readonly MappedFile[] _grains;
    private readonly uint[] _sliceSizes;
    private AccessWatcher? _watcher;
    private bool _open;
    private ulong _openIndex;
    private int _openSlot;
    private ushort _committedSlices;
    private ulong _lastCommittedIndex = MxlClock.UndefinedIndex;
    private bool _disposed;

    private FlowWriter(FlowDefinition def, MappedFile data, MappedFile[] grains, string directory)
    {
        Definition = def;
        _data = data;
        _grains = grains;
        FlowDirectory = directory;
        _sliceSizes = def.SliceSizes;
        GrainCount = grains.Length;
        GrainPayloadSize = def.GrainPayloadSize;
        TotalSlices = (ushort)def.TotalSlices;
        GrainRate = def.HeaderRate;
    }

    public Guid FlowId => Definition.Id;
    public FlowDefinition Definition { get; }
    public string FlowDirectory { get; private set; }
    public int GrainCount { get; }
    public int GrainPayloadSize { get; }
    public ushort TotalSlices { get; }

    /// <summary>Grain rate as stored in the header (field rate for interlaced video).</summary>
    public Rational GrainRate { get; }

    public bool HasOpenGrain => _open;

    /// <summary>A fresh snapshot of the flow header.</summary>
    public FlowInfo Info
    {
        get
        {
            ThrowIfDisposed();
            return FlowInfo.Read(_data.Pointer, _data.Length, FlowId, Definition);
        }
    }

    public ulong HeadIndex => Volatile.Read(ref *(ulong*)(_data.Pointer + FlowLayout.HeadIndexOffset));

    internal static FlowWriter CreateOrOpen(MxlDomain domain, FlowDefinition def, FlowWriterOptions options, out bool created)
    {
        (uint commit, uint sync) = options.Resolve(def);
        ulong grainCount = FlowLayout.GrainCount(domain.HistoryDurationNs, def.HeaderRate);
        if (grainCount < 1 || grainCount > FlowLayout.MaxGrainCount)
            throw new MxlException(MxlStatus.InvalidArg,
                $"flow {def.Id}: history {domain.HistoryDurationNs} ns at {def.HeaderRate} gives {grainCount} grains (need 1..{FlowLayout.MaxGrainCount})", def.Id);
        return FlowFiles.CreateOrOpen(domain, def.Id,
            dir => TryOpenExisting(def, dir),
            tmp => BuildNew(def, commit, sync, (int)grainCount, tmp),
            (writer, final) =>
            {
                writer.FlowDirectory = final;
                writer.StartWatcher();
            },
            writer => writer.CloseFiles(), out created);
    }

    private static FlowWriter BuildNew(FlowDefinition def, uint commit, uint sync, int grainCount, string dir)
    {
        MappedFile data = FlowFiles.CreateData(def, dir, commit, sync, (uint)grainCount, 0);
        List<MappedFile> grains = [];
        try
        {
            int accessFd = Native.Open(Path.Combine(dir, FlowLayout.AccessFileName), Native.O_CREAT | Native.O_EXCL | Native.O_RDWR | Native.O_CLOEXEC, 0x1B4 /* 0664 */);
            if (accessFd < 0)
                throw new MxlException(MxlStatus.Unknown, $"flow {def.Id}: cannot create access file: {Native.ErrnoText(Native.LastErrno)}", def.Id);
            Native.Close(accessFd);
            string grainDir = Path.Combine(dir, FlowLayout.GrainsDirectoryName);
            Directory.CreateDirectory(grainDir);
            Native.Chmod(grainDir, 0x1ED);
            int payload = def.GrainPayloadSize;
            long fileLength = FlowLayout.GrainHeaderSize + FlowLayout.PageRound(payload);
            for (int slot = 0; slot < grainCount; slot++)
            {
                MappedFile g = MappedFile.Create(Path.Combine(grainDir, FlowLayout.GrainFileName(slot)), fileLength, def.Id, $"grain {slot}");
                grains.Add(g);
                g.TryLock(Native.LOCK_SH);
                byte* h = g.Pointer;
                *(uint*)(h + FlowLayout.GrainVersionOffset) = FlowLayout.Version;
                *(uint*)(h + FlowLayout.GrainSizeFieldOffset) = FlowLayout.GrainInfoSize;
                *(ulong*)(h + FlowLayout.GrainIndexOffset) = 0;
                *(uint*)(h + FlowLayout.GrainFlagsOffset) = 0;
                *(uint*)(h + FlowLayout.GrainPayloadSizeOffset) = (uint)payload;
                *(ushort*)(h + FlowLayout.GrainTotalSlicesOffset) = (ushort)def.TotalSlices;
                *(ushort*)(h + FlowLayout.GrainValidSlicesOffset) = 0;
            }
            return new FlowWriter(def, data, [.. grains], dir);
        }
        catch
        {
            foreach (MappedFile g in grains) g.Dispose();
            data.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing flow for writing; null when it vanished or is being removed.</summary>
    private static FlowWriter? TryOpenExisting(FlowDefinition def, string dir)
        => FlowFiles.TryOpenExisting(def, dir, stored =>
        {
            if (stored.IsContinuous)
                throw new MxlException(MxlStatus.InvalidArg, $"flow {def.Id} exists as a continuous (audio) flow; cannot open it as a discrete flow", def.Id);
            if (stored.MediaType != def.MediaType || stored.HeaderRate != def.HeaderRate || stored.GrainPayloadSize != def.GrainPayloadSize
                || stored.TotalSlices != def.TotalSlices)
                throw new MxlException(MxlStatus.Conflict,
                    $"flow {def.Id} exists with a different definition ({stored.MediaType} {stored.FrameWidth}x{stored.FrameHeight} @ {stored.HeaderRate})", def.Id);
        }, (stored, data, info, grains) =>
        {
            if (info.PayloadLocation != 0)
                throw new MxlException(MxlStatus.InvalidArg, $"flow {def.Id} keeps its payload in device memory; this writer writes host memory", def.Id);
            long minLength = FlowLayout.GrainHeaderSize + stored.GrainPayloadSize;
            for (int slot = 0; slot < info.GrainCount; slot++)
            {
                MappedFile g = MappedFile.Open(Path.Combine(dir, FlowLayout.GrainsDirectoryName, FlowLayout.GrainFileName(slot)), true, minLength, def.Id, $"grain {slot}");
                grains.Add(g);
                g.TryLock(Native.LOCK_SH);
            }
            FlowWriter writer = new(stored, data, [.. grains], dir);
            writer.StartWatcher();
            return writer;
        });

    private void StartWatcher()
    {
        _watcher = AccessWatcher.TryStart(Path.Combine(FlowDirectory, FlowLayout.AccessFileName),
            (ulong*)(_data.Pointer + FlowLayout.LastReadTimeOffset));
    }

    /// <summary>
    /// Opens grain <paramref name="index"/> for writing in place (slot = index % grainCount). As MXL does, the slot
    /// header takes the new index at once (readers of the slot's previous grain get TooLate), and grains skipped since
    /// the last complete commit are marked INVALID so their readers do not wait or see stale pictures.
    /// Opening the grain that is already open again returns it with its committed slices kept. As in MXL, an index at
    /// or before the last completely committed grain is an invalid argument (the head never moves back).
    /// </summary>
    public GrainWriteAccess OpenGrain(ulong index)
    {
        ThrowIfDisposed();
        if (index == MxlClock.UndefinedIndex)
            throw new ArgumentOutOfRangeException(nameof(index), $"flow {FlowId}: grain index is the undefined index");
        if (_open && index != _openIndex)
            throw new InvalidOperationException($"flow {FlowId}: grain {_openIndex} is still open; commit or cancel it before opening grain {index}");
        if (_lastCommittedIndex != MxlClock.UndefinedIndex && index <= _lastCommittedIndex)
            throw new ArgumentOutOfRangeException(nameof(index),
                $"flow {FlowId}: grain {index} is not after the last committed grain {_lastCommittedIndex} (MXL: invalid argument)");
        int slot = (int)(index % (ulong)GrainCount);
        byte* g = _grains[slot].Pointer;
        if (!_open)
        {
            if (_lastCommittedIndex != MxlClock.UndefinedIndex && index > _lastCommittedIndex + 1)
                InvalidateSkipped(index);
            Volatile.Write(ref *(ulong*)(g + FlowLayout.GrainIndexOffset), index);
            Volatile.Write(ref *(ushort*)(g + FlowLayout.GrainValidSlicesOffset), (ushort)0);
            Volatile.Write(ref *(uint*)(g + FlowLayout.GrainFlagsOffset), *(uint*)(g + FlowLayout.GrainFlagsOffset) & ~FlowLayout.GrainFlagInvalid);
            // Full fence: the retired header must be visible before any payload byte the caller writes next
            // (stores after a release store may otherwise become visible first on weakly ordered CPUs).
            Interlocked.MemoryBarrier();
            _open = true;
            _openIndex = index;
            _openSlot = slot;
            _committedSlices = 0;
        }
        return new GrainWriteAccess(index, slot, TotalSlices, GrainPayloadSize,
            (nint)(g + FlowLayout.GrainPayloadOffset), (nint)(g + FlowLayout.GrainUserAreaOffset), _sliceSizes);
    }

    private void InvalidateSkipped(ulong index)
    {
        ulong skipped = index - _lastCommittedIndex - 1;
        ulong count = Math.Min(skipped, (ulong)GrainCount);
        for (ulong missing = index - count; missing < index; missing++)
        {
            byte* h = _grains[(int)(missing % (ulong)GrainCount)].Pointer;
            Volatile.Write(ref *(ulong*)(h + FlowLayout.GrainIndexOffset), missing);
            Volatile.Write(ref *(ushort*)(h + FlowLayout.GrainValidSlicesOffset), (ushort)0);
            Volatile.Write(ref *(uint*)(h + FlowLayout.GrainFlagsOffset), *(uint*)(h + FlowLayout.GrainFlagsOffset) | FlowLayout.GrainFlagInvalid);
        }
    }

    /// <summary>Commits the open grain with <paramref name="validSlices"/> valid slices; stays open while partial.</summary>
    public void Commit(ushort validSlices)
    {
        ThrowIfNoOpenGrain();
        if (validSlices > TotalSlices)
            throw new ArgumentOutOfRangeException(nameof(validSlices), $"flow {FlowId} grain {_openIndex}: {validSlices} valid slices exceed the {TotalSlices} slices of a grain");
        if (validSlices < _committedSlices)
            throw new ArgumentException($"flow {FlowId} grain {_openIndex}: {validSlices} valid slices is fewer than the {_committedSlices} already committed", nameof(validSlices));
        Publish(validSlices, 0);
        _committedSlices = validSlices;
        if (validSlices == TotalSlices)
        {
            _open = false;
            _lastCommittedIndex = _openIndex;
        }
    }

    /// <summary>Commits the open grain with the given index (MXL's check: another index is an invalid argument).</summary>
    public void Commit(ulong index, ushort validSlices)
    {
        ThrowIfNoOpenGrain();
        if (index != _openIndex)
            throw new ArgumentException($"flow {FlowId}: commit of grain {index} but grain {_openIndex} is open", nameof(index));
        Commit(validSlices);
    }

    /// <summary>Commits the open grain as complete.</summary>
    public void CommitAll() => Commit(TotalSlices);

    /// <summary>Commits the open grain with the INVALID flag: readers get it (IsInvalid) and the ring moves on.</summary>
    public void CommitInvalid()
    {
        ThrowIfNoOpenGrain();
        Publish(TotalSlices, FlowLayout.GrainFlagInvalid);
        _open = false;
        _lastCommittedIndex = _openIndex;
    }

    /// <summary>Abandons the open grain without publishing it.</summary>
    public void Cancel()
    {
        ThrowIfDisposed();
        _open = false;
    }

    /// <summary>Base address and length of a slot's grain-file mapping (read-write).</summary>
    public SlotMapping GetSlotMapping(int slot)
    {
        ThrowIfDisposed();
        if ((uint)slot >= (uint)GrainCount)
            throw new ArgumentOutOfRangeException(nameof(slot), $"flow {FlowId}: slot {slot} is outside 0..{GrainCount - 1}");
        MappedFile g = _grains[slot];
        return new SlotMapping(slot, g.Address, g.MappedLength, g.Length, FlowLayout.GrainPayloadOffset, true);
    }

    private void Publish(ushort validSlices, uint flags)
    {
        byte* h = _grains[_openSlot].Pointer;
        *(ulong*)(h + FlowLayout.GrainIndexOffset) = _openIndex;
        *(uint*)(h + FlowLayout.GrainFlagsOffset) = flags;
        *(uint*)(h + FlowLayout.GrainPayloadSizeOffset) = (uint)GrainPayloadSize;
        *(ushort*)(h + FlowLayout.GrainTotalSlicesOffset) = TotalSlices;
        Volatile.Write(ref *(ushort*)(h + FlowLayout.GrainValidSlicesOffset), validSlices);
        byte* d = _data.Pointer;
        Volatile.Write(ref *(ulong*)(d + FlowLayout.HeadIndexOffset), _openIndex);
        Volatile.Write(ref *(ulong*)(d + FlowLayout.LastWriteTimeOffset), MxlClock.NowTai());
        uint* counter = (uint*)(d + FlowLayout.SyncCounterOffset);
        Interlocked.Increment(ref *counter);
        Native.FutexWakeAll(counter);
    }

    private void ThrowIfNoOpenGrain()
    {
        ThrowIfDisposed();
        if (!_open)
            throw new InvalidOperationException($"flow {FlowId}: no grain is open (call OpenGrain first)");
    }

    private void ThrowIfDisposed()
    {
        Disposal.ThrowIf(_disposed, $"FlowWriter of flow {FlowId}");
    }

    private void CloseFiles()
    {
        _watcher?.Dispose();
        _watcher = null;
        foreach (MappedFile g in _grains) g.Dispose();
        _data.Dispose();
    }

    /// <summary>Releases the writer; the last writer of a flow removes its directory.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _open = false;
        _watcher?.Dispose();
        _watcher = null;
        FlowFiles.ReleaseWriter(_data, FlowDirectory);
        CloseFiles();
    }
}

/// <summary>
/// Watches the access files of this process's discrete writers with one inotify instance and one thread
/// (inotify instances are limited per user), storing reader access times into each flow's lastReadTime.
/// A reader's atime-only futimens is reported by inotify as IN_ACCESS (or IN_ATTRIB); as MXL does, the writer stores
/// the TAI time at which it handles the event (not the file's atime, which has only jiffy resolution).
/// </summary>
internal sealed unsafe class AccessWatcher : IDisposable
{
    private static readonly object Sync = new();
    private static readonly Dictionary<int, List<AccessWatcher>> ByWatch = [];
    private static int _inotifyFd = -1;

    private readonly int _watch;
    private readonly ulong* _lastReadTime;

    private AccessWatcher(int watch, ulong* lastReadTime)
    {
        _watch = watch;
        _lastReadTime = lastReadTime;
    }

    /// <summary>Starts watching; null when inotify is unavailable (lastReadTime then stays as is).</summary>
    public static AccessWatcher? TryStart(string accessPath, ulong* lastReadTime)
    {
        lock (Sync)
        {
            if (_inotifyFd < 0)
            {
                int fd = Native.InotifyInit1(Native.IN_CLOEXEC);
                if (fd < 0) return null;
                _inotifyFd = fd;
                new Thread(Run) { IsBackground = true, Name = "mxl-access-watch" }.Start();
            }
            int watch = Native.InotifyAddWatch(_inotifyFd, accessPath, Native.IN_ATTRIB | Native.IN_ACCESS);
            if (watch < 0) return null;
            AccessWatcher w = new(watch, lastReadTime);
            if (!ByWatch.TryGetValue(watch, out List<AccessWatcher>? list)) ByWatch[watch] = list = [];
            list.Add(w);
            return w;
        }
    }

    private static void Run()
    {
        const int bufferSize = 64 * 1024;
        byte* buffer = (byte*)NativeMemory.Alloc(bufferSize);
        while (true)
        {
            nint n = Native.Read(_inotifyFd, buffer, bufferSize);
            if (n < 0)
            {
                if (Native.LastErrno == Native.EINTR) continue;
                return;
            }
            ulong now = MxlClock.NowTai();
            lock (Sync)
            {
                // struct inotify_event { int wd; uint32 mask, cookie, len; char name[len]; }
                for (nint off = 0; off + 16 <= n; off += 16 + (nint)(*(uint*)(buffer + off + 12)))
                {
                    int wd = *(int*)(buffer + off);
                    if (!ByWatch.TryGetValue(wd, out List<AccessWatcher>? list)) continue;
                    foreach (AccessWatcher w in list) Volatile.Write(ref *w._lastReadTime, now);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (Sync)
        {
            if (ByWatch.TryGetValue(_watch, out List<AccessWatcher>? list) && list.Remove(this) && list.Count == 0)
            {
                ByWatch.Remove(_watch);
                Native.InotifyRmWatch(_inotifyFd, _watch);
            }
        }
    }
}
