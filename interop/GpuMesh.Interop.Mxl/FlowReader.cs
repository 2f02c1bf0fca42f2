namespace GpuMesh.Interop.Mxl;

/// <summary>
/// A zero-copy view of a committed grain inside the reader's PROT_READ mapping.
/// Lifetime: the bytes stay valid (mapped) while the reader is open, but their content belongs to grain
/// <see cref="Index"/> only until the writer reuses the ring slot, i.e. about grainCount − 1 grain periods
/// after the grain was written. Copy or finish with it before then.
/// </summary>
public readonly unsafe struct GrainView
{
    internal GrainView(ulong index, int slot, uint flags, ushort validSlices, ushort totalSlices, int size, nint payload, nint userArea)
    {
        Index = index;
        Slot = slot;
        Flags = flags;
        ValidSlices = validSlices;
        TotalSlices = totalSlices;
        Size = size;
        PayloadAddress = payload;
        UserAreaAddress = userArea;
    }

    public ulong Index { get; }
    public int Slot { get; }
    public uint Flags { get; }
    public bool IsInvalid => (Flags & FlowLayout.GrainFlagInvalid) != 0;
    public ushort ValidSlices { get; }
    public ushort TotalSlices { get; }
    public bool IsComplete => ValidSlices == TotalSlices;

    /// <summary>Payload size in bytes (whole grain; only the first ValidSlices lines of each plane are valid).</summary>
    public int Size { get; }

    /// <summary>Payload start, page aligned (offset 8192 of the grain file).</summary>
    public nint PayloadAddress { get; }
    public nint UserAreaAddress { get; }
    public ReadOnlySpan<byte> Payload => PayloadAddress == 0 ? default : new((void*)PayloadAddress, Size);
    public ReadOnlySpan<byte> UserArea => UserAreaAddress == 0 ? default : new((void*)UserAreaAddress, FlowLayout.GrainUserAreaSize);
}

/// <summary>
/// Reads a discrete (video / data) flow. All files are opened read-only and mapped PROT_READ; everything read
/// from shared memory is validated. Reads may run on several threads.
/// </summary>
public sealed unsafe class FlowReader : IDisposable
{
    private readonly MappedFile _data;
    private readonly MappedFile[] _grains;
    private readonly int _accessFd;
    private readonly string _dataPath;
    private readonly ulong _inode;
    private readonly long _payloadCapacity;
    private readonly ulong _sliceBytes;
    private readonly UseGuard _guard;

    private FlowReader(FlowDefinition def, FlowInfo info, MappedFile data, MappedFile[] grains, int accessFd, string directory)
    {
        Definition = def;
        _guard = new UseGuard($"FlowReader of flow {def.Id}");
        _data = data;
        _grains = grains;
        _accessFd = accessFd;
        FlowDirectory = directory;
        _dataPath = data.Path;
        _inode = info.Inode;
        GrainCount = grains.Length;
        GrainRate = info.GrainRate;
        TotalSlices = (ushort)def.TotalSlices;
        GrainPayloadSize = def.GrainPayloadSize;
        long cap = int.MaxValue; // a grain view's Size is an int: larger grainSize values are corrupt
        foreach (MappedFile g in grains) cap = Math.Min(cap, g.Length - FlowLayout.GrainHeaderSize);
        _payloadCapacity = cap;
        _sliceBytes = info.SliceSizes[0] + (ulong)info.SliceSizes[1] + info.SliceSizes[2] + info.SliceSizes[3];
    }

    public Guid FlowId => Definition.Id;
    public FlowDefinition Definition { get; }
    public string FlowDefinitionJson => Definition.Json;
    public string FlowDirectory { get; }
    public int GrainCount { get; }

    /// <summary>Grain rate as stored in the header (field rate for interlaced video).</summary>
    public Rational GrainRate { get; }
    public ushort TotalSlices { get; }
    public int GrainPayloadSize { get; }

    public ulong HeadIndex => ReadHead(_guard, _data);

    internal uint* SyncCounter => (uint*)(_data.Pointer + FlowLayout.SyncCounterOffset);

    internal static FlowReader Open(MxlDomain domain, Guid id)
    {
        MappedFile data = FlowFiles.OpenForReading(domain, id, continuous: false, out FlowDefinition def, out FlowInfo info, out string dir);
        List<MappedFile> grains = [];
        int accessFd = -1;
        try
        {
            ulong sliceBytes = info.SliceSizes[0] + (ulong)info.SliceSizes[1] + info.SliceSizes[2] + info.SliceSizes[3];
            for (int slot = 0; slot < info.GrainCount; slot++)
            {
                string what = $"grain {slot}";
                string path = Path.Combine(dir, FlowLayout.GrainsDirectoryName, FlowLayout.GrainFileName(slot));
                MappedFile g;
                try
                {
                    g = MappedFile.Open(path, false, FlowLayout.GrainHeaderSize, id, what);
                }
                catch (MxlException e) when (e.Status == MxlStatus.FlowNotFound)
                {
                    throw new MxlFlowCorruptException(id, "data.grainCount", $"{info.GrainCount} grains but '{path}' is missing");
                }
                grains.Add(g);
                ValidateGrainFile(id, slot, g, sliceBytes);
            }
            accessFd = Native.Open(Path.Combine(dir, FlowLayout.AccessFileName), Native.O_RDONLY | Native.O_CLOEXEC, 0);
            return new FlowReader(def, info, data, [.. grains], accessFd, dir);
        }
        catch
        {
            foreach (MappedFile g in grains) g.Dispose();
            data.Dispose();
            throw;
        }
    }

    private static void ValidateGrainFile(Guid id, int slot, MappedFile g, ulong sliceBytes)
    {
        byte* h = g.Pointer;
        string f = $"grains/data.{slot}";
        uint version = *(uint*)(h + FlowLayout.GrainVersionOffset);
        if (version != FlowLayout.Version)
            throw new MxlFlowCorruptException(id, f + ".version", $"{version}, only version {FlowLayout.Version} is supported");
        uint size = *(uint*)(h + FlowLayout.GrainSizeFieldOffset);
        if (size != FlowLayout.GrainInfoSize)
            throw new MxlFlowCorruptException(id, f + ".size", $"{size}, expected {FlowLayout.GrainInfoSize}");
        long capacity = Math.Min(g.Length - FlowLayout.GrainHeaderSize, int.MaxValue);
        uint grainSize = *(uint*)(h + FlowLayout.GrainPayloadSizeOffset);
        if (grainSize > capacity)
            throw new MxlFlowCorruptException(id, f + ".grainSize", $"{grainSize} bytes exceed the file's payload capacity of {capacity} bytes");
        ushort total = *(ushort*)(h + FlowLayout.GrainTotalSlicesOffset);
        if (total == 0 || sliceBytes * total > (ulong)capacity)
            throw new MxlFlowCorruptException(id, f + ".totalSlices", $"{total} slices of {sliceBytes} bytes do not fit the file's payload capacity of {capacity} bytes");
    }

    /// <summary>A fresh, validated snapshot of the flow header.</summary>
    public FlowInfo GetInfo() => ReadInfo(_guard, _data, Definition);

    /// <summary>
    /// Non-blocking read of grain <paramref name="index"/>. Ok, TooEarly (not yet, or fewer than
    /// <paramref name="minValidSlices"/> slices; 0 or ushort.MaxValue = all), TooLate (left the ring, or skipped by the
    /// writer), FlowInvalid (flow deleted or recreated). Note: MXL's C API reads 0 as "any slice"; here 0 means all.
    /// </summary>
    public MxlStatus TryGetGrain(ulong index, out GrainView grain, ushort minValidSlices = 0)
        => TryReadOnce(_guard, _data, (Reader: this, Index: index, MinValidSlices: minValidSlices),
            static ((FlowReader Reader, ulong Index, ushort MinValidSlices) s, out GrainView g) => s.Reader.TryGetCore(s.Index, s.MinValidSlices, out g),
            out grain);

    /// <summary>
    /// Blocking read: waits (futex on the sync counter) until the grain is there or <paramref name="timeout"/> passes.
    /// A timed-out read returns TooEarly, or FlowInvalid when the flow was deleted or recreated meanwhile.
    /// </summary>
    public MxlStatus GetGrain(ulong index, TimeSpan timeout, out GrainView grain, ushort minValidSlices = 0)
        => WaitForRead(_guard, _data, timeout, (Reader: this, Index: index, MinValidSlices: minValidSlices),
            static ((FlowReader Reader, ulong Index, ushort MinValidSlices) s, out GrainView g) => s.Reader.TryGetCore(s.Index, s.MinValidSlices, out g),
            static s => s.Reader.IsFlowValid(), out grain);

    internal static long Deadline(TimeSpan timeout)
        => (long)MxlClock.NowTai() + Math.Clamp(timeout.Ticks, 0, long.MaxValue / 400) * 100;

    /// <summary>The non-blocking read of both readers: one <paramref name="tryRead"/> while the reader is in use.</summary>
    internal static MxlStatus TryReadOnce<TState, TResult>(UseGuard guard, MappedFile data, TState state,
        TryRead<TState, TResult> tryRead, out TResult result)
    {
        guard.Enter();
        try
        {
            MxlStatus status = tryRead(state, out result);
            // Cheap check (fstat of the mapped file): a deleted or recreated flow unlinked our data file.
            if (status == MxlStatus.TooEarly && !data.IsLinked()) return MxlStatus.FlowInvalid;
            return status;
        }
        finally
        {
            guard.Exit();
        }
    }

    /// <summary>
    /// The blocking read of both readers: retries <paramref name="tryRead"/> on each wake of the sync counter (futex)
    /// until it is not TooEarly or <paramref name="timeout"/> passes. A timed-out read returns TooEarly, or
    /// FlowInvalid when the flow was deleted or recreated meanwhile.
    /// </summary>
    internal static MxlStatus WaitForRead<TState, TResult>(UseGuard guard, MappedFile data, TimeSpan timeout, TState state,
        TryRead<TState, TResult> tryRead, Func<TState, bool> isFlowValid, out TResult result)
    {
        guard.Enter();
        try
        {
            uint* syncCounter = (uint*)(data.Pointer + FlowLayout.SyncCounterOffset);
            long deadline = Deadline(timeout);
            while (true)
            {
                uint seq = Volatile.Read(ref *syncCounter);
                MxlStatus status = tryRead(state, out result);
                if (status != MxlStatus.TooEarly) return status;
                long remaining = deadline - (long)MxlClock.NowTai();
                if (remaining <= 0) break;
                Native.FutexWait(syncCounter, seq, remaining);
                guard.ThrowIfDisposed();
            }
            return isFlowValid(state) ? MxlStatus.TooEarly : MxlStatus.FlowInvalid;
        }
        finally
        {
            guard.Exit();
        }
    }

    /// <summary>The flow's head index, read while the reader is in use.</summary>
    internal static ulong ReadHead(UseGuard guard, MappedFile data)
    {
        guard.Enter();
        try { return Volatile.Read(ref *(ulong*)(data.Pointer + FlowLayout.HeadIndexOffset)); }
        finally { guard.Exit(); }
    }

    /// <summary>A fresh, validated snapshot of the flow header, read while the reader is in use.</summary>
    internal static FlowInfo ReadInfo(UseGuard guard, MappedFile data, FlowDefinition def)
    {
        guard.Enter();
        try { return FlowInfo.Read(data.Pointer, data.Length, def.Id, def); }
        finally { guard.Exit(); }
    }

    internal MxlStatus TryGetCore(ulong index, ushort minValidSlices, out GrainView grain)
    {
        grain = default;
        byte* d = _data.Pointer;
        ulong head = Volatile.Read(ref *(ulong*)(d + FlowLayout.HeadIndexOffset));
        if (index > head) return MxlStatus.TooEarly;
        if (head - index >= (ulong)GrainCount) return MxlStatus.TooLate;
        int slot = (int)(index % (ulong)GrainCount);
        byte* h = _grains[slot].Pointer;
        // Index before and after the other fields: a slot being rewritten for a newer grain is reported TooLate.
        ulong slotIndex = Volatile.Read(ref *(ulong*)(h + FlowLayout.GrainIndexOffset));
        // index <= head but the slot holds an older grain: the writer moved past this index without ever opening it
        // (an MXL writer that does not mark skipped grains); it will not come, so do not wait for it.
        if (slotIndex != index) return MxlStatus.TooLate;
        ushort valid = Volatile.Read(ref *(ushort*)(h + FlowLayout.GrainValidSlicesOffset));
        uint flags = Volatile.Read(ref *(uint*)(h + FlowLayout.GrainFlagsOffset));
        uint size = Volatile.Read(ref *(uint*)(h + FlowLayout.GrainPayloadSizeOffset));
        ushort total = Volatile.Read(ref *(ushort*)(h + FlowLayout.GrainTotalSlicesOffset));
        if (Volatile.Read(ref *(ulong*)(h + FlowLayout.GrainIndexOffset)) != index) return MxlStatus.TooLate;
        if (size > _payloadCapacity)
            throw Corrupt(slot, "grainSize", $"grain {index}: {size} bytes exceed the file's payload capacity of {_payloadCapacity} bytes");
        if (total == 0 || _sliceBytes * total > (ulong)_payloadCapacity)
            throw Corrupt(slot, "totalSlices", $"grain {index}: {total} slices of {_sliceBytes} bytes exceed the payload capacity of {_payloadCapacity} bytes");
        if (valid > total) valid = total; // MXL does not check it: more valid slices than exist means all of them
        bool invalid = (flags & FlowLayout.GrainFlagInvalid) != 0;
        ushort needed = minValidSlices == 0 || minValidSlices > total ? total : minValidSlices;
        if (!invalid && valid < needed) return MxlStatus.TooEarly;
        grain = new GrainView(index, slot, flags, valid, total, (int)size,
            (nint)(h + FlowLayout.GrainPayloadOffset), (nint)(h + FlowLayout.GrainUserAreaOffset));
        TouchAccess();
        return MxlStatus.Ok;
    }

    /// <summary>
    /// Touches the access file's atime for the writer's lastReadTime. The kernel keeps atime at jiffy resolution
    /// (1-4 ms), so touching more than once per millisecond adds cost (a syscall and an inotify event) but no information.
    /// </summary>
    private void TouchAccess()
    {
        if (_accessFd < 0) return;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref _lastTouch);
        if (last != 0 && now - last < TouchInterval) return;
        Volatile.Write(ref _lastTouch, now);
        Native.TouchAccessTime(_accessFd);
    }

    private static readonly long TouchInterval = System.Diagnostics.Stopwatch.Frequency / 1000;
    private long _lastTouch;

    private MxlFlowCorruptException Corrupt(int slot, string field, string message)
        => new(FlowId, $"grains/data.{slot}.{field}", message);

    /// <summary>True while the flow's data file still exists with the inode this reader mapped.</summary>
    public bool IsFlowValid()
    {
        _guard.ThrowIfDisposed();
        return Native.TryStat(_dataPath)?.Inode == _inode;
    }

    /// <summary>Base address (page aligned) and length of a slot's grain-file mapping (read-only).</summary>
    public SlotMapping GetSlotMapping(int slot)
    {
        ThrowIfDisposed();
        if ((uint)slot >= (uint)GrainCount)
            throw new ArgumentOutOfRangeException(nameof(slot), $"flow {FlowId}: slot {slot} is outside 0..{GrainCount - 1}");
        MappedFile g = _grains[slot];
        return new SlotMapping(slot, g.Address, g.MappedLength, g.Length, FlowLayout.GrainPayloadOffset, false);
    }

    private void ThrowIfDisposed() => _guard.ThrowIfDisposed();

    /// <summary>Unmaps the flow; waits for reads in flight on other threads (blocked reads end with ObjectDisposedException).</summary>
    public void Dispose()
    {
        if (!_guard.BeginDispose(() => Native.FutexWakeAll(SyncCounter))) return;
        foreach (MappedFile g in _grains) g.Dispose();
        _data.Dispose();
        if (_accessFd >= 0) Native.Close(_accessFd);
    }
}

/// <summary>One non-blocking read attempt of a reader (see <see cref="FlowReader.WaitForRead"/>).</summary>
internal delegate MxlStatus TryRead<TState, TResult>(TState state, out TResult result);
