namespace GpuMesh.Interop.Mxl;

/// <summary>A validated snapshot of a flow's header (config + runtime) together with its definition.</summary>
public sealed class FlowInfo
{
    public required Guid Id { get; init; }
    public required MxlDataFormat Format { get; init; }
    public required FlowDefinition Definition { get; init; }

    /// <summary>Rate stored in the header: grain rate (field rate for interlaced video) or sample rate.</summary>
    public required Rational GrainRate { get; init; }
    public bool IsContinuous => Format == MxlDataFormat.Audio;
    public uint Flags { get; init; }
    public uint MaxCommitBatchSizeHint { get; init; }
    public uint MaxSyncBatchSizeHint { get; init; }

    /// <summary>0 = host memory, 1 = device memory.</summary>
    public uint PayloadLocation { get; init; }
    public int DeviceIndex { get; init; }

    // discrete
    public uint[] SliceSizes { get; init; } = [0, 0, 0, 0];
    public uint GrainCount { get; init; }
    public int GrainPayloadSize => IsContinuous ? 0 : Definition.GrainPayloadSize;
    public ushort TotalSlices => (ushort)Definition.TotalSlices;

    // continuous
    public uint ChannelCount { get; init; }
    public uint BufferLength { get; init; }
    public int WordSize => IsContinuous ? Definition.WordSize : 0;

    // runtime
    public ulong HeadIndex { get; init; }
    public ulong LastWriteTime { get; init; }
    public ulong LastReadTime { get; init; }
    public uint SyncCounter { get; init; }
    public ulong Inode { get; init; }

    public string MediaType => Definition.MediaType;
    public string Label => Definition.Label;
    public int Width => Definition.FrameWidth;
    public int Height => Definition.FrameHeight;
    public InterlaceMode InterlaceMode => Definition.InterlaceMode;

    /// <summary>Reads and validates a data header; every value is checked before use.</summary>
    internal static unsafe FlowInfo Read(byte* p, long length, Guid id, FlowDefinition def)
    {
        if (length < FlowLayout.DataFileSize)
            throw new MxlFlowCorruptException(id, "data", $"file is {length} bytes, expected {FlowLayout.DataFileSize}");
        uint version = Volatile.Read(ref *(uint*)(p + FlowLayout.VersionOffset));
        if (version != FlowLayout.Version)
            throw new MxlFlowCorruptException(id, "data.version", $"{version}, only version {FlowLayout.Version} is supported");
        uint size = *(uint*)(p + FlowLayout.SizeOffset);
        if (size != FlowLayout.FlowInfoSize)
            throw new MxlFlowCorruptException(id, "data.size", $"{size}, expected {FlowLayout.FlowInfoSize}");
        Guid headerId = new(new ReadOnlySpan<byte>(p + FlowLayout.IdOffset, 16), bigEndian: true);
        if (headerId != id)
            throw new MxlFlowCorruptException(id, "data.id", $"header holds {headerId}");
        uint format = *(uint*)(p + FlowLayout.FormatOffset);
        if (format != (uint)def.Format)
            throw new MxlFlowCorruptException(id, "data.format", $"{format} does not match the flow definition ({def.Format} = {(int)def.Format})");
        Rational rate = new(*(long*)(p + FlowLayout.RateNumeratorOffset), *(long*)(p + FlowLayout.RateDenominatorOffset));
        if (!rate.IsValid)
            throw new MxlFlowCorruptException(id, "data.grainRate", $"{rate} is not a positive rate");
        if (rate.Normalize() != def.HeaderRate)
            throw new MxlFlowCorruptException(id, "data.grainRate", $"{rate} does not match the flow definition ({def.HeaderRate})");
        uint location = *(uint*)(p + FlowLayout.PayloadLocationOffset);
        int deviceIndex = *(int*)(p + FlowLayout.DeviceIndexOffset);
        if (location > 1)
            throw new MxlFlowCorruptException(id, "data.payloadLocation", $"{location} is neither host (0) nor device (1)");

        uint grainCount = 0, channelCount = 0, bufferLength = 0;
        uint[] slices = [0, 0, 0, 0];
        if (def.IsContinuous)
        {
            channelCount = *(uint*)(p + FlowLayout.ChannelCountOffset);
            bufferLength = *(uint*)(p + FlowLayout.BufferLengthOffset);
            if (channelCount != (uint)def.ChannelCount)
                throw new MxlFlowCorruptException(id, "data.channelCount", $"{channelCount} does not match channel_count {def.ChannelCount}");
            if (bufferLength < 2 || bufferLength > FlowLayout.MaxBufferLength)
                throw new MxlFlowCorruptException(id, "data.bufferLength", $"{bufferLength} is outside 2..{FlowLayout.MaxBufferLength}");
        }
        else
        {
            for (int i = 0; i < 4; i++) slices[i] = *(uint*)(p + FlowLayout.SliceSizesOffset + 4 * i);
            uint[] expected = def.SliceSizes;
            for (int i = 0; i < 4; i++)
            {
                if (slices[i] != expected[i])
                    throw new MxlFlowCorruptException(id, $"data.sliceSizes[{i}]", $"{slices[i]} does not match the flow definition ({expected[i]})");
            }
            grainCount = *(uint*)(p + FlowLayout.GrainCountOffset);
            if (grainCount < 1 || grainCount > FlowLayout.MaxGrainCount)
                throw new MxlFlowCorruptException(id, "data.grainCount", $"{grainCount} is outside 1..{FlowLayout.MaxGrainCount}");
        }

        return new FlowInfo
        {
            Id = id,
            Format = def.Format,
            Definition = def,
            GrainRate = rate,
            Flags = *(uint*)(p + FlowLayout.FlagsOffset),
            MaxCommitBatchSizeHint = *(uint*)(p + FlowLayout.MaxCommitBatchOffset),
            MaxSyncBatchSizeHint = *(uint*)(p + FlowLayout.MaxSyncBatchOffset),
            PayloadLocation = location,
            DeviceIndex = deviceIndex,
            SliceSizes = slices,
            GrainCount = grainCount,
            ChannelCount = channelCount,
            BufferLength = bufferLength,
            HeadIndex = Volatile.Read(ref *(ulong*)(p + FlowLayout.HeadIndexOffset)),
            LastWriteTime = Volatile.Read(ref *(ulong*)(p + FlowLayout.LastWriteTimeOffset)),
            LastReadTime = Volatile.Read(ref *(ulong*)(p + FlowLayout.LastReadTimeOffset)),
            Inode = *(ulong*)(p + FlowLayout.InodeOffset),
            SyncCounter = Volatile.Read(ref *(uint*)(p + FlowLayout.SyncCounterOffset)),
        };
    }

    /// <summary>Writes a fresh header (creation time) into a zeroed data mapping.</summary>
    internal static unsafe void WriteNew(byte* p, FlowDefinition def, uint commitHint, uint syncHint,
        uint grainCount, uint bufferLength, ulong inode)
    {
        new Span<byte>(p, FlowLayout.DataFileSize).Clear();
        *(uint*)(p + FlowLayout.VersionOffset) = FlowLayout.Version;
        *(uint*)(p + FlowLayout.SizeOffset) = FlowLayout.FlowInfoSize;
        def.Id.TryWriteBytes(new Span<byte>(p + FlowLayout.IdOffset, 16), bigEndian: true, out _);
        *(uint*)(p + FlowLayout.FormatOffset) = (uint)def.Format;
        *(uint*)(p + FlowLayout.FlagsOffset) = 0;
        Rational rate = def.HeaderRate;
        *(long*)(p + FlowLayout.RateNumeratorOffset) = rate.Numerator;
        *(long*)(p + FlowLayout.RateDenominatorOffset) = rate.Denominator;
        *(uint*)(p + FlowLayout.MaxCommitBatchOffset) = commitHint;
        *(uint*)(p + FlowLayout.MaxSyncBatchOffset) = syncHint;
        *(uint*)(p + FlowLayout.PayloadLocationOffset) = 0;
        *(int*)(p + FlowLayout.DeviceIndexOffset) = -1;
        if (def.IsContinuous)
        {
            *(uint*)(p + FlowLayout.ChannelCountOffset) = (uint)def.ChannelCount;
            *(uint*)(p + FlowLayout.BufferLengthOffset) = bufferLength;
        }
        else
        {
            uint[] slices = def.SliceSizes;
            for (int i = 0; i < 4; i++) *(uint*)(p + FlowLayout.SliceSizesOffset + 4 * i) = slices[i];
            *(uint*)(p + FlowLayout.GrainCountOffset) = grainCount;
        }
        *(ulong*)(p + FlowLayout.HeadIndexOffset) = 0;
        ulong now = MxlClock.NowTai(); // as MXL: a new flow counts as just written and just read
        *(ulong*)(p + FlowLayout.LastWriteTimeOffset) = now;
        *(ulong*)(p + FlowLayout.LastReadTimeOffset) = now;
        *(ulong*)(p + FlowLayout.InodeOffset) = inode;
        *(uint*)(p + FlowLayout.SyncCounterOffset) = 0;
    }
}

/// <summary>Base address and length of one ring slot's grain-file mapping (for GPU import).</summary>
public readonly record struct SlotMapping(int Slot, nint BaseAddress, long Length, long FileLength, int PayloadOffset, bool Writable);
