using GpuMesh.Engine.Timing;

namespace GpuMesh.Engine.Scheduling;

/// <summary>Outcome of a timed read; timing outcomes are values, not exceptions (MXL's statuses).</summary>
public enum ReadStatus
{
    Ok,
    /// <summary>The grain was not there by the deadline.</summary>
    TooEarly,
    /// <summary>The grain has already left the ring.</summary>
    TooLate,
    /// <summary>The flow was deleted or recreated; reopen it.</summary>
    FlowInvalid,
}

/// <summary>A grain as read from an input; the payload points into the flow's mapping (zero copy).</summary>
public readonly unsafe struct InputGrain
{
    public InputGrain(ulong index, nint address, int length, bool isInvalid, ushort validSlices, ushort totalSlices)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"grain {index}: negative payload length {length}");
        Index = index;
        Address = address;
        Length = length;
        IsInvalid = isInvalid;
        ValidSlices = validSlices;
        TotalSlices = totalSlices;
    }

    public ulong Index { get; }
    public nint Address { get; }
    public int Length { get; }
    public bool IsInvalid { get; }
    public ushort ValidSlices { get; }
    public ushort TotalSlices { get; }

    /// <summary>Valid until the writer rewrites this ring slot (about grainCount - 1 grain periods).</summary>
    public ReadOnlySpan<byte> Payload => Address == 0 ? default : new ReadOnlySpan<byte>((void*)Address, Length);
}

/// <summary>One input flow of the scheduler.</summary>
public interface IGrainSource : IDisposable
{
    string Name { get; }
    MediaRate Rate { get; }

    /// <summary>Waits until grain <paramref name="index"/> is complete or the deadline (clock time) passes.</summary>
    ReadStatus Read(ulong index, ulong deadlineNs, CancellationToken cancellationToken, out InputGrain grain);

    /// <summary>After <see cref="ReadStatus.FlowInvalid"/>: tries to reopen the flow; true when it is back.</summary>
    bool TryReopen();
}

/// <summary>One output flow of the scheduler. One grain open at a time.</summary>
public interface IGrainSink : IDisposable
{
    string Name { get; }
    MediaRate Rate { get; }
    int GrainCount { get; }
    int PayloadSize { get; }

    /// <summary>Opens grain <paramref name="index"/> for writing; the span is the payload in place.</summary>
    Span<byte> Open(ulong index);

    void Commit();
    void CommitInvalid();
    void Cancel();
}
