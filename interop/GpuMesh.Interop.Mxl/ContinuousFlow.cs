using System.Runtime.InteropServices;

namespace GpuMesh.Interop.Mxl;

/// <summary>
/// A window of <see cref="Count"/> samples ending at <see cref="Index"/> in every channel ring of a continuous
/// flow, as one or two fragments per channel (two when the window wraps the ring). Zero copy, writable.
/// </summary>
public readonly unsafe struct SampleWriteAccess
{
    private readonly SampleWindow _window;

    internal SampleWriteAccess(byte* channels, long channelStride, ulong index, int count, int channelCount, int wordSize, int firstOffset, int firstLength)
        => _window = new SampleWindow(channels, channelStride, index, count, channelCount, wordSize, firstOffset, firstLength);

    public ulong Index => _window.Index;
    public int Count => _window.Count;
    public int ChannelCount => _window.ChannelCount;
    public int WordSize => _window.WordSize;

    /// <summary>Samples in the first fragment; the rest (Count − this) are at the start of the ring.</summary>
    public int FirstFragmentLength => _window.FirstFragmentLength;
    public int SecondFragmentLength => Count - FirstFragmentLength;

    /// <summary>Raw bytes of fragment 0 or 1 of a channel.</summary>
    public Span<byte> GetFragment(int channel, int fragment) => _window.Fragment(channel, fragment);

    /// <summary>Fragment as float (bit_depth 32) or double (bit_depth 64) samples.</summary>
    public Span<T> GetFragment<T>(int channel, int fragment) where T : unmanaged
    {
        _window.CheckWordSize<T>();
        return MemoryMarshal.Cast<byte, T>(GetFragment(channel, fragment));
    }

    /// <summary>Copies <paramref name="samples"/> (exactly Count of them) into a channel's window.</summary>
    public void Write<T>(int channel, ReadOnlySpan<T> samples) where T : unmanaged
    {
        if (samples.Length != Count)
            throw new ArgumentException($"{samples.Length} samples given for a window of {Count}", nameof(samples));
        Span<T> a = GetFragment<T>(channel, 0);
        samples[..a.Length].CopyTo(a);
        samples[a.Length..].CopyTo(GetFragment<T>(channel, 1));
    }
}

/// <summary>A read-only window of samples (see <see cref="SampleWriteAccess"/>); valid while it stays within the readable half of the ring.</summary>
public readonly unsafe struct SampleView
{
    private readonly SampleWindow _window;

    internal SampleView(byte* channels, long channelStride, ulong index, int count, int channelCount, int wordSize, int firstOffset, int firstLength)
        => _window = new SampleWindow(channels, channelStride, index, count, channelCount, wordSize, firstOffset, firstLength);

    public ulong Index => _window.Index;
    public int Count => _window.Count;
    public int ChannelCount => _window.ChannelCount;
    public int WordSize => _window.WordSize;
    public int FirstFragmentLength => _window.FirstFragmentLength;
    public int SecondFragmentLength => Count - FirstFragmentLength;

    public ReadOnlySpan<byte> GetFragment(int channel, int fragment)
        => _window.IsEmpty ? default : _window.Fragment(channel, fragment);

    public ReadOnlySpan<T> GetFragment<T>(int channel, int fragment) where T : unmanaged
    {
        _window.CheckWordSize<T>();
        return MemoryMarshal.Cast<byte, T>(GetFragment(channel, fragment));
    }

    /// <summary>Copies a channel's window (Count samples) into <paramref name="destination"/>.</summary>
    public void CopyTo<T>(int channel, Span<T> destination) where T : unmanaged
    {
        ReadOnlySpan<T> a = GetFragment<T>(channel, 0);
        ReadOnlySpan<T> b = GetFragment<T>(channel, 1);
        a.CopyTo(destination);
        b.CopyTo(destination[a.Length..]);
    }
}

/// <summary>The channel-ring window behind <see cref="SampleWriteAccess"/> and <see cref="SampleView"/>.</summary>
internal readonly unsafe struct SampleWindow
{
    private readonly byte* _channels;
    private readonly long _channelStride;
    private readonly int _firstOffset;

    public SampleWindow(byte* channels, long channelStride, ulong index, int count, int channelCount, int wordSize, int firstOffset, int firstLength)
    {
        _channels = channels;
        _channelStride = channelStride;
        Index = index;
        Count = count;
        ChannelCount = channelCount;
        WordSize = wordSize;
        _firstOffset = firstOffset;
        FirstFragmentLength = firstLength;
    }

    public ulong Index { get; }
    public int Count { get; }
    public int ChannelCount { get; }
    public int WordSize { get; }
    public int FirstFragmentLength { get; }

    /// <summary>True for a default window (no mapping).</summary>
    public bool IsEmpty => _channels == null;

    /// <summary>Bytes of fragment 0 (from the window start to the ring end) or 1 (the wrapped rest) of a channel.</summary>
    public Span<byte> Fragment(int channel, int fragment)
    {
        if ((uint)channel >= (uint)ChannelCount)
            throw new ArgumentOutOfRangeException(nameof(channel), $"channel {channel} is outside 0..{ChannelCount - 1}");
        byte* ring = _channels + channel * _channelStride;
        return fragment switch
        {
            0 => new Span<byte>(ring + (long)_firstOffset * WordSize, FirstFragmentLength * WordSize),
            1 => new Span<byte>(ring, (Count - FirstFragmentLength) * WordSize),
            _ => throw new ArgumentOutOfRangeException(nameof(fragment), "fragment must be 0 or 1"),
        };
    }

    public void CheckWordSize<T>() where T : unmanaged
    {
        if (sizeof(T) != WordSize)
            throw new ArgumentException($"{typeof(T).Name} is {sizeof(T)} bytes but the flow's samples are {WordSize} bytes");
    }
}

/// <summary>Fills one channel fragment; <paramref name="firstSampleIndex"/> is the absolute index of destination[0].</summary>
public delegate void SampleFill<T>(int channel, ulong firstSampleIndex, Span<T> destination) where T : unmanaged;

/// <summary>Sample-accurate test tones: the phase comes from the absolute sample index, so every writer agrees.</summary>
public static class AudioTone
{
    /// <summary>
    /// Fills <paramref name="destination"/> with a sine of <paramref name="frequencyHz"/> whose phase at sample k is
    /// 2π·frac(k·f·den / num) (exact integer maths, no drift for any k).
    /// </summary>
    public static void Sine(Span<float> destination, ulong firstSampleIndex, long frequencyHz, Rational sampleRate, float amplitude = 0.25f)
    {
        if (!sampleRate.IsValid) throw new ArgumentException($"sample rate {sampleRate} is not valid", nameof(sampleRate));
        if (frequencyHz < 0) throw new ArgumentOutOfRangeException(nameof(frequencyHz), "frequency must not be negative");
        UInt128 period = (ulong)sampleRate.Numerator;
        UInt128 step = (UInt128)(ulong)frequencyHz * (ulong)sampleRate.Denominator;
        UInt128 phase = (UInt128)firstSampleIndex * step % period;
        step %= period;
        double scale = 2 * Math.PI / (double)period;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = amplitude * (float)Math.Sin((double)phase * scale);
            phase += step;
            if (phase >= period) phase -= period;
        }
    }
}

/// <summary>Shared sizing of continuous flows.</summary>
internal static class ContinuousLayout
{
    /// <summary>Ring offset of the first sample of "count samples ending at index" and the first fragment's length.</summary>
    public static (int Offset, int FirstLength) Window(ulong index, int count, uint bufferLength)
    {
        ulong first = index - (ulong)count; // sample k is stored at (k - 1) mod bufferLength
        int offset = (int)(first % bufferLength);
        int firstLength = (int)Math.Min((ulong)count, bufferLength - (ulong)offset);
        return (offset, firstLength);
    }

    public static void CheckCount(Guid id, ulong index, int count, uint bufferLength)
    {
        if (count < 1 || (uint)count > bufferLength / 2)
            throw new ArgumentOutOfRangeException(nameof(count), $"flow {id}: {count} samples is outside 1..{bufferLength / 2} (half the ring of {bufferLength})");
        if (index < (ulong)count || index == MxlClock.UndefinedIndex)
            throw new ArgumentOutOfRangeException(nameof(index), $"flow {id}: index {index} is before the first {count} samples");
    }

    public static long ChannelsFileLength(FlowDefinition def, uint bufferLength)
        => checked((long)def.ChannelCount * bufferLength * def.WordSize);
}

/// <summary>
/// Writes a continuous (audio/float32) flow: one ring of bufferLength samples per channel. Not thread safe.
/// The last writer to be disposed removes the flow.
/// </summary>
public sealed unsafe class ContinuousFlowWriter : IDisposable
{
    private readonly MappedFile _data;
    private readonly MappedFile _channels;
    private readonly uint _commitBatch;
    private readonly uint _syncBatch;
    private readonly uint _earlySyncThreshold;
    private ulong _lastSignaledBatch;
    private ulong _lastWritten;
    private bool _open;
    private ulong _openIndex;
    private bool _disposed;

    private ContinuousFlowWriter(FlowDefinition def, MappedFile data, MappedFile channels, uint bufferLength, uint commitBatch, uint syncBatch, string dir)
    {
        Definition = def;
        _data = data;
        _channels = channels;
        BufferLength = bufferLength;
        _commitBatch = commitBatch;
        _syncBatch = syncBatch;
        _earlySyncThreshold = syncBatch >= commitBatch ? syncBatch - commitBatch : 0;
        FlowDirectory = dir;
    }

    public Guid FlowId => Definition.Id;
    public FlowDefinition Definition { get; }
    public string FlowDirectory { get; private set; }
    public Rational SampleRate => Definition.SampleRate;
    public int ChannelCount => Definition.ChannelCount;
    public int WordSize => Definition.WordSize;
    public uint BufferLength { get; }

    /// <summary>Most samples per OpenSamples call (bufferLength / 2).</summary>
    public int MaxSamplesPerCall => (int)(BufferLength / 2);
    public uint MaxCommitBatchSize => _commitBatch;
    public uint MaxSyncBatchSize => _syncBatch;

    public ulong HeadIndex => Volatile.Read(ref *(ulong*)(_data.Pointer + FlowLayout.HeadIndexOffset));

    public FlowInfo Info
    {
        get
        {
            Disposal.ThrowIf(_disposed, $"ContinuousFlowWriter of flow {FlowId}");
            return FlowInfo.Read(_data.Pointer, _data.Length, FlowId, Definition);
        }
    }

    internal static ContinuousFlowWriter CreateOrOpen(MxlDomain domain, FlowDefinition def, FlowWriterOptions options, out bool created)
    {
        (uint commit, uint sync) = options.Resolve(def);
        ulong bufferLength = FlowLayout.BufferLength(domain.HistoryDurationNs, def.SampleRate, def.WordSize);
        if (bufferLength < 2 || bufferLength > FlowLayout.MaxBufferLength)
            throw new MxlException(MxlStatus.InvalidArg, $"flow {def.Id}: history {domain.HistoryDurationNs} ns at {def.SampleRate} Hz gives a buffer of {bufferLength} samples", def.Id);
        return FlowFiles.CreateOrOpen(domain, def.Id,
            dir => TryOpenExisting(def, dir),
            tmp => BuildNew(def, commit, sync, (uint)bufferLength, tmp),
            (writer, final) => writer.FlowDirectory = final,
            writer => writer.CloseFiles(), out created);
    }

    private static ContinuousFlowWriter BuildNew(FlowDefinition def, uint commit, uint sync, uint bufferLength, string dir)
    {
        MappedFile data = FlowFiles.CreateData(def, dir, commit, sync, 0, bufferLength);
        try
        {
            MappedFile channels = MappedFile.Create(Path.Combine(dir, FlowLayout.ChannelsFileName),
                ContinuousLayout.ChannelsFileLength(def, bufferLength), def.Id, "channels");
            channels.TryLock(Native.LOCK_SH);
            return new ContinuousFlowWriter(def, data, channels, bufferLength, commit, sync, dir);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    private static ContinuousFlowWriter? TryOpenExisting(FlowDefinition def, string dir)
        => FlowFiles.TryOpenExisting(def, dir, stored =>
        {
            if (!stored.IsContinuous)
                throw new MxlException(MxlStatus.InvalidArg, $"flow {def.Id} exists as a discrete ({stored.MediaType}) flow; cannot open it as a continuous flow", def.Id);
            if (stored.SampleRate != def.SampleRate || stored.ChannelCount != def.ChannelCount || stored.BitDepth != def.BitDepth)
                throw new MxlException(MxlStatus.Conflict,
                    $"flow {def.Id} exists with a different definition ({stored.ChannelCount} ch, {stored.SampleRate} Hz, {stored.BitDepth} bit)", def.Id);
        }, (stored, data, info, files) =>
        {
            MappedFile channels = MappedFile.Open(Path.Combine(dir, FlowLayout.ChannelsFileName), true,
                ContinuousLayout.ChannelsFileLength(stored, info.BufferLength), def.Id, "channels");
            files.Add(channels);
            channels.TryLock(Native.LOCK_SH);
            uint commit = Math.Max(1, info.MaxCommitBatchSizeHint);
            uint sync = Math.Max(1, info.MaxSyncBatchSizeHint); // as MXL: each hint on its own, at least 1
            return new ContinuousFlowWriter(stored, data, channels, info.BufferLength, commit, sync, dir);
        });

    /// <summary>Opens "count samples ending at index" for writing (at most bufferLength / 2).</summary>
    public SampleWriteAccess OpenSamples(ulong index, int count)
    {
        Disposal.ThrowIf(_disposed, $"ContinuousFlowWriter of flow {FlowId}");
        if (_open)
            throw new InvalidOperationException($"flow {FlowId}: samples ending at {_openIndex} are still open; commit or cancel them first");
        ContinuousLayout.CheckCount(FlowId, index, count, BufferLength);
        (int offset, int firstLength) = ContinuousLayout.Window(index, count, BufferLength);
        _open = true;
        _openIndex = index;
        return new SampleWriteAccess(_channels.Pointer, (long)BufferLength * WordSize, index, count, ChannelCount, WordSize, offset, firstLength);
    }

    /// <summary>Publishes the open window: headIndex = its index; readers are woken at sync-batch boundaries.</summary>
    public void Commit()
    {
        Disposal.ThrowIf(_disposed, $"ContinuousFlowWriter of flow {FlowId}");
        if (!_open)
            throw new InvalidOperationException($"flow {FlowId}: no samples are open (call OpenSamples first)");
        _open = false;
        _lastWritten = _openIndex;
        byte* d = _data.Pointer;
        Volatile.Write(ref *(ulong*)(d + FlowLayout.HeadIndexOffset), _openIndex);
        if (SignalCompletedBatch(_openIndex))
        {
            uint* counter = (uint*)(d + FlowLayout.SyncCounterOffset);
            Interlocked.Increment(ref *counter);
            Native.FutexWakeAll(counter);
        }
    }

    /// <summary>
    /// MXL's batching: wake readers when the head enters a new sync batch, or early when it is within one commit
    /// batch of the next boundary (so the next commit cannot overshoot it unsignalled); never when it moves back.
    /// </summary>
    private bool SignalCompletedBatch(ulong index)
    {
        ulong batch = index / _syncBatch;
        if (batch < _lastSignaledBatch) return false;
        if (batch == _lastSignaledBatch)
        {
            if (index % _syncBatch <= _earlySyncThreshold) return false;
            _lastSignaledBatch = batch + 1;
            return true;
        }
        _lastSignaledBatch = batch;
        return true;
    }

    public void Cancel()
    {
        Disposal.ThrowIf(_disposed, $"ContinuousFlowWriter of flow {FlowId}");
        _open = false;
    }

    /// <summary>Convenience: writes one span per channel (each of the same length) ending at index and commits.</summary>
    public void WriteSamples<T>(ulong index, ReadOnlySpan<T[]> channels) where T : unmanaged
    {
        if (channels.Length != ChannelCount)
            throw new ArgumentException($"flow {FlowId}: {channels.Length} channel buffers for {ChannelCount} channels", nameof(channels));
        SampleWriteAccess access = OpenSamples(index, channels[0].Length);
        try
        {
            for (int c = 0; c < channels.Length; c++) access.Write<T>(c, channels[c]);
        }
        catch
        {
            Cancel();
            throw;
        }
        Commit();
    }

    /// <summary>
    /// Writes every sample after the last one this writer committed up to and including <paramref name="index"/>
    /// (e.g. the current TAI sample index), in commits of at most the commit batch size. <paramref name="fill"/>
    /// gets each channel fragment with the absolute index of its first sample. When more than bufferLength / 2
    /// samples are missing (first call, or a stall) it starts bufferLength / 2 samples before <paramref name="index"/>.
    /// Returns the number of samples written per channel.
    /// </summary>
    public int WriteUntil<T>(ulong index, SampleFill<T> fill) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(fill);
        Disposal.ThrowIf(_disposed, $"ContinuousFlowWriter of flow {FlowId}");
        if (sizeof(T) != WordSize)
            throw new ArgumentException($"flow {FlowId}: {typeof(T).Name} is {sizeof(T)} bytes but the flow's samples are {WordSize} bytes");
        ulong half = BufferLength / 2;
        if (index < half) throw new ArgumentOutOfRangeException(nameof(index), $"flow {FlowId}: index {index} is before the first {half} samples");
        if (_lastWritten != 0 && _lastWritten >= index) return 0;
        ulong start = _lastWritten == 0 || index - _lastWritten > half ? index - half + 1 : _lastWritten + 1;
        int chunk = (int)Math.Min(_commitBatch, half);
        int written = 0;
        while (start <= index)
        {
            ulong end = Math.Min(start + (ulong)chunk - 1, index);
            int count = (int)(end - start + 1);
            SampleWriteAccess a = OpenSamples(end, count);
            try
            {
                for (int c = 0; c < ChannelCount; c++)
                {
                    fill(c, start, a.GetFragment<T>(c, 0));
                    if (a.SecondFragmentLength > 0) fill(c, start + (ulong)a.FirstFragmentLength, a.GetFragment<T>(c, 1));
                }
            }
            catch
            {
                Cancel();
                throw;
            }
            Commit();
            written += count;
            start = end + 1;
        }
        return written;
    }

    /// <summary>Base address and length of the channels mapping (read-write).</summary>
    public SlotMapping GetChannelsMapping()
    {
        Disposal.ThrowIf(_disposed, $"ContinuousFlowWriter of flow {FlowId}");
        return new SlotMapping(0, _channels.Address, _channels.MappedLength, _channels.Length, 0, true);
    }

    private void CloseFiles()
    {
        _channels.Dispose();
        _data.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        FlowFiles.ReleaseWriter(_data, FlowDirectory);
        CloseFiles();
    }
}

/// <summary>Reads a continuous (audio) flow; files read-only, mapped PROT_READ.</summary>
public sealed unsafe class ContinuousFlowReader : IDisposable
{
    private readonly MappedFile _data;
    private readonly MappedFile _channels;
    private readonly ulong _inode;
    private readonly UseGuard _guard;

    private ContinuousFlowReader(FlowDefinition def, FlowInfo info, MappedFile data, MappedFile channels, string dir)
    {
        Definition = def;
        _guard = new UseGuard($"ContinuousFlowReader of flow {def.Id}");
        _data = data;
        _channels = channels;
        _inode = info.Inode;
        BufferLength = info.BufferLength;
        FlowDirectory = dir;
    }

    public Guid FlowId => Definition.Id;
    public FlowDefinition Definition { get; }
    public string FlowDefinitionJson => Definition.Json;
    public string FlowDirectory { get; }
    public Rational SampleRate => Definition.SampleRate;
    public int ChannelCount => Definition.ChannelCount;
    public int WordSize => Definition.WordSize;
    public uint BufferLength { get; }

    /// <summary>Most samples per read (bufferLength / 2).</summary>
    public int MaxReadLength => (int)(BufferLength / 2);

    public ulong HeadIndex => FlowReader.ReadHead(_guard, _data);

    internal uint* SyncCounter => (uint*)(_data.Pointer + FlowLayout.SyncCounterOffset);

    internal static ContinuousFlowReader Open(MxlDomain domain, Guid id)
    {
        MappedFile data = FlowFiles.OpenForReading(domain, id, continuous: true, out FlowDefinition def, out FlowInfo info, out string dir);
        try
        {
            ulong needed = (ulong)info.ChannelCount * info.BufferLength * (ulong)def.WordSize; // both bounded: no overflow
            string path = Path.Combine(dir, FlowLayout.ChannelsFileName);
            MappedFile channels;
            try
            {
                channels = MappedFile.Open(path, false, 0, id, "channels");
            }
            catch (MxlException e) when (e.Status == MxlStatus.FlowNotFound)
            {
                throw new MxlFlowCorruptException(id, "channels", $"'{path}' is missing");
            }
            if ((ulong)channels.Length < needed)
            {
                long have = channels.Length;
                channels.Dispose();
                throw new MxlFlowCorruptException(id, "channels",
                    $"file is {have} bytes, shorter than channelCount {info.ChannelCount} × bufferLength {info.BufferLength} × wordSize {def.WordSize} = {needed}");
            }
            return new ContinuousFlowReader(def, info, data, channels, dir);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    public FlowInfo GetInfo() => FlowReader.ReadInfo(_guard, _data, Definition);

    /// <summary>Non-blocking read of "count samples ending at index": Ok, TooEarly, TooLate or FlowInvalid.</summary>
    public MxlStatus TryGetSamples(ulong index, int count, out SampleView samples)
        => FlowReader.TryReadOnce(_guard, _data, (Reader: this, Index: index, Count: count),
            static ((ContinuousFlowReader Reader, ulong Index, int Count) s, out SampleView v) => s.Reader.TryGetCore(s.Index, s.Count, out v),
            out samples);

    /// <summary>Blocking read; a timed-out read is TooEarly (or FlowInvalid when the flow was deleted or recreated).</summary>
    public MxlStatus GetSamples(ulong index, int count, TimeSpan timeout, out SampleView samples)
        => FlowReader.WaitForRead(_guard, _data, timeout, (Reader: this, Index: index, Count: count),
            static ((ContinuousFlowReader Reader, ulong Index, int Count) s, out SampleView v) => s.Reader.TryGetCore(s.Index, s.Count, out v),
            static s => s.Reader.IsFlowValid(), out samples);

    internal MxlStatus TryGetCore(ulong index, int count, out SampleView samples)
    {
        samples = default;
        ContinuousLayout.CheckCount(FlowId, index, count, BufferLength);
        ulong head = Volatile.Read(ref *(ulong*)(_data.Pointer + FlowLayout.HeadIndexOffset));
        if (index > head) return MxlStatus.TooEarly;
        if (head - index + (ulong)count > BufferLength / 2) return MxlStatus.TooLate;
        (int offset, int firstLength) = ContinuousLayout.Window(index, count, BufferLength);
        samples = new SampleView(_channels.Pointer, (long)BufferLength * WordSize, index, count, ChannelCount, WordSize, offset, firstLength);
        return MxlStatus.Ok;
    }

    public bool IsFlowValid()
    {
        _guard.ThrowIfDisposed();
        return Native.TryStat(_data.Path)?.Inode == _inode;
    }

    /// <summary>Base address and length of the channels mapping (read-only).</summary>
    public SlotMapping GetChannelsMapping()
    {
        _guard.ThrowIfDisposed();
        return new SlotMapping(0, _channels.Address, _channels.MappedLength, _channels.Length, 0, false);
    }

    /// <summary>Unmaps the flow; waits for reads in flight on other threads.</summary>
    public void Dispose()
    {
        if (!_guard.BeginDispose(() => Native.FutexWakeAll(SyncCounter))) return;
        _channels.Dispose();
        _data.Dispose();
    }
}
