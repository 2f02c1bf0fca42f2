namespace GpuMesh.Interop.Mxl;

/// <summary>
/// Waits for several flows (video, data, audio) to hold data at one TAI timestamp, under one deadline.
/// Each member converts the timestamp to its own index with its own rate. As MXL's group does, members that
/// arrived late before are awaited first (adaptive order), so later checks rarely block.
/// Not thread safe; the readers stay owned by the caller.
/// </summary>
public sealed class FlowSyncGroup
{
    private readonly List<Member> _members = [];
    private readonly List<int> _order = [];

    private sealed class Member(FlowReader? discrete, ushort minValidSlices, ContinuousFlowReader? continuous, int sampleCount)
    {
        public FlowReader? Discrete { get; } = discrete;
        public ushort MinValidSlices { get; set; } = minValidSlices;
        public ContinuousFlowReader? Continuous { get; } = continuous;
        public int SampleCount { get; set; } = sampleCount;
        public long MaxObservedDelayNs { get; set; }
        public Rational Rate => Discrete?.GrainRate ?? Continuous!.SampleRate;
    }

    public int Count => _members.Count;

    /// <summary>
    /// Adds a discrete reader (or updates its minimum); it is ready when grain index(T) has
    /// <paramref name="minValidSlices"/> slices (0 = all) or is flagged invalid.
    /// </summary>
    public FlowSyncGroup Add(FlowReader reader, ushort minValidSlices = 0)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Member? existing = _members.Find(m => ReferenceEquals(m.Discrete, reader));
        if (existing is not null) existing.MinValidSlices = minValidSlices;
        else Append(new Member(reader, minValidSlices, null, 0));
        return this;
    }

    /// <summary>
    /// Adds a continuous reader (or updates its count); it is ready when the <paramref name="sampleCount"/> samples
    /// ending at index(T) are readable.
    /// </summary>
    public FlowSyncGroup Add(ContinuousFlowReader reader, int sampleCount = 1)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (sampleCount < 1 || sampleCount > reader.MaxReadLength)
            throw new ArgumentOutOfRangeException(nameof(sampleCount), $"flow {reader.FlowId}: {sampleCount} samples is outside 1..{reader.MaxReadLength}");
        Member? existing = _members.Find(m => ReferenceEquals(m.Continuous, reader));
        if (existing is not null) existing.SampleCount = sampleCount;
        else Append(new Member(null, 0, reader, sampleCount));
        return this;
    }

    /// <summary>Removes a reader; false when it is not a member.</summary>
    public bool Remove(object reader)
    {
        int i = _members.FindIndex(m => ReferenceEquals(m.Discrete, reader) || ReferenceEquals(m.Continuous, reader));
        if (i < 0) return false;
        _members.RemoveAt(i);
        _order.Remove(i);
        for (int k = 0; k < _order.Count; k++)
        {
            if (_order[k] > i) _order[k]--;
        }
        return true;
    }

    private void Append(Member m)
    {
        _members.Add(m);
        _order.Add(_members.Count - 1);
    }

    /// <summary>The index member <paramref name="member"/> (in the order added) reads for <paramref name="timestampNs"/>.</summary>
    public ulong IndexAt(int member, ulong timestampNs) => MxlClock.TimestampToIndex(_members[member].Rate, timestampNs);

    /// <summary>
    /// Returns Ok once every member has data at <paramref name="timestampNs"/>; otherwise the first failing member's
    /// status (TooEarly when the deadline passed, TooLate, FlowInvalid) and its position (in the order added) in
    /// <paramref name="failedMember"/> (-1 on success).
    /// </summary>
    public MxlStatus WaitForDataAt(ulong timestampNs, TimeSpan timeout, out int failedMember)
    {
        long deadline = FlowReader.Deadline(timeout);
        failedMember = -1;
        int[] order = [.. _order];
        foreach (int i in order)
        {
            Member m = _members[i];
            ulong index = MxlClock.TimestampToIndex(m.Rate, timestampNs);
            MxlStatus s = Check(m, index, TimeSpan.Zero);
            if (s == MxlStatus.TooEarly)
            {
                long remaining = Math.Max(0, deadline - (long)MxlClock.NowTai());
                s = Check(m, index, TimeSpan.FromTicks(remaining / 100));
                if (s == MxlStatus.Ok) Observe(i, m, index);
            }
            if (s != MxlStatus.Ok)
            {
                failedMember = i;
                return s;
            }
        }
        // Members checked first may have moved past T while later ones were awaited.
        foreach (int i in order)
        {
            Member m = _members[i];
            MxlStatus s = Check(m, MxlClock.TimestampToIndex(m.Rate, timestampNs), TimeSpan.Zero);
            if (s != MxlStatus.Ok)
            {
                failedMember = i;
                return s;
            }
        }
        return MxlStatus.Ok;
    }

    private static MxlStatus Check(Member m, ulong index, TimeSpan timeout)
        => m.Discrete is not null
            ? m.Discrete.GetGrain(index, timeout, out _, m.MinValidSlices)
            : m.Continuous!.GetSamples(index, m.SampleCount, timeout, out _);

    /// <summary>Records how late a member's data arrived; the latest-arriving member is awaited first next time.</summary>
    private void Observe(int i, Member m, ulong index)
    {
        long delay = (long)(MxlClock.NowTai() - MxlClock.IndexToTimestamp(m.Rate, index));
        if (delay <= m.MaxObservedDelayNs) return;
        m.MaxObservedDelayNs = delay;
        if (_order[0] != i && delay > _members[_order[0]].MaxObservedDelayNs)
        {
            _order.Remove(i);
            _order.Insert(0, i);
        }
    }
}
