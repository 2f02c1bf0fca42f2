using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using GpuMesh.Engine.Metrics;
using GpuMesh.Engine.Scheduling;
using GpuMesh.Engine.Timing;

namespace GpuMesh.Engine.Tests.Scheduling;

/// <summary>
/// A ring of grains driven by a virtual clock: grain i appears at ts(i) + delay unless the script drops it;
/// reads follow MXL's rules (TooEarly at the deadline, TooLate outside the ring, FlowInvalid while gone).
/// The payload holds the grain index (8 bytes) so the processor can tell which grain it got.
/// </summary>
internal sealed unsafe class FakeSource : IGrainSource
{
    private readonly VirtualClock _clock;
    private readonly byte[][] _slots;

    public FakeSource(string name, VirtualClock clock, MediaRate rate, int grainCount = 10, TimeSpan? delay = null)
    {
        Name = name;
        _clock = clock;
        Rate = rate;
        GrainCount = grainCount;
        DelayNs = (ulong)((delay ?? TimeSpan.FromMilliseconds(1)).Ticks * 100);
        _slots = Enumerable.Range(0, grainCount).Select(_ => GC.AllocateArray<byte>(64, pinned: true)).ToArray();
    }

    public string Name { get; }
    public MediaRate Rate { get; }
    public int GrainCount { get; }
    public ulong DelayNs { get; set; }
    /// <summary>Indices that never arrive.</summary>
    public HashSet<ulong> Dropped { get; } = new();
    /// <summary>Indices the writer commits with the INVALID flag.</summary>
    public HashSet<ulong> FlaggedInvalid { get; } = new();
    /// <summary>While true the flow is deleted: reads report FlowInvalid, reopen fails.</summary>
    public bool Gone { get; set; }
    public int Reads { get; private set; }
    public int ReopenAttempts { get; private set; }

    private ulong ArrivalOf(ulong index) => Rate.TimestampOf(index) + DelayNs;

    public ReadStatus Read(ulong index, ulong deadlineNs, CancellationToken cancellationToken, out InputGrain grain)
    {
        Reads++;
        grain = default;
        ulong now = _clock.NowNs;
        if (Gone)
        {
            _clock.AdvanceTo(deadlineNs);
            return ReadStatus.FlowInvalid;
        }
        ulong head = Rate.IndexAt(now > DelayNs ? now - DelayNs : 0);
        if (index + (ulong)GrainCount <= head) return ReadStatus.TooLate;
        ulong arrival = ArrivalOf(index);
        if (Dropped.Contains(index) || arrival > deadlineNs)
        {
            _clock.AdvanceTo(deadlineNs);
            return ReadStatus.TooEarly;
        }
        _clock.AdvanceTo(arrival);
        byte[] slot = _slots[index % (ulong)GrainCount];
        BinaryPrimitives.WriteUInt64LittleEndian(slot, index);
        grain = new InputGrain(index, (nint)Unsafe.AsPointer(ref slot[0]), slot.Length, FlaggedInvalid.Contains(index), 1, 1);
        return ReadStatus.Ok;
    }

    public bool TryReopen()
    {
        ReopenAttempts++;
        return !Gone;
    }

    public void Dispose() { }
}

/// <summary>Records every open/commit and enforces the writer's rules and the readers'-window rule.</summary>
internal sealed class FakeSink : IGrainSink
{
    private readonly VirtualClock _clock;
    private readonly byte[] _payload = new byte[256];
    private ulong? _open;

    public FakeSink(string name, VirtualClock clock, MediaRate rate, int grainCount = 10)
    {
        Name = name;
        _clock = clock;
        Rate = rate;
        GrainCount = grainCount;
    }

    public string Name { get; }
    public MediaRate Rate { get; }
    public int GrainCount { get; }
    public int PayloadSize => _payload.Length;
    public ulong? Head { get; private set; }
    public List<(ulong Index, bool Invalid, ulong[] Inputs)> Commits { get; } = new();
    public List<string> Violations { get; } = new();
    public int Cancels { get; private set; }

    public Span<byte> Open(ulong index)
    {
        if (_open != null) Violations.Add($"open {index} while {_open} is open");
        if (Head is { } h && index <= h) Violations.Add($"open {index} at or before head {h}");
        ulong nowIndex = Rate.IndexAt(_clock.NowNs);
        if (index > nowIndex) Violations.Add($"open {index} ahead of the clock's index {nowIndex}: would evict a slot inside the readers' window");
        _open = index;
        _payload.AsSpan().Clear();
        return _payload;
    }

    public void Commit() => Finish(false);
    public void CommitInvalid() => Finish(true);

    public void Cancel()
    {
        Cancels++;
        _open = null;
    }

    private void Finish(bool invalid)
    {
        if (_open is not { } index) { Violations.Add("commit without an open grain"); return; }
        int count = BinaryPrimitives.ReadInt32LittleEndian(_payload);
        ulong[] inputs = invalid ? Array.Empty<ulong>() : Enumerable.Range(0, count)
            .Select(i => BinaryPrimitives.ReadUInt64LittleEndian(_payload.AsSpan(8 + 8 * i))).ToArray();
        Commits.Add((index, invalid, inputs));
        Head = index;
        _open = null;
    }

    public void Dispose() { }
}

/// <summary>"Decodes" the index stored in each input grain; the output payload lists the input indices used.</summary>
internal sealed class FakeProcessor : IGrainProcessor
{
    private ulong[][] _sets = Array.Empty<ulong[]>();
    private readonly VirtualClock? _clock;
    private readonly Func<ulong[], TimeSpan>? _processingTime;

    public FakeProcessor(int inputs, int outputs = 1, VirtualClock? clock = null, Func<ulong[], TimeSpan>? processingTime = null)
    {
        InputCount = inputs;
        OutputCount = outputs;
        _clock = clock;
        _processingTime = processingTime;
    }

    public int InputCount { get; }
    public int OutputCount { get; }
    public IReadOnlyList<string> NodeNames => new[] { "fake" };
    public int Processed;

    public void Prepare(int bufferSets, EngineMetrics metrics) =>
        _sets = Enumerable.Range(0, bufferSets).Select(_ => Enumerable.Repeat(ulong.MaxValue, InputCount).ToArray()).ToArray();

    public void Import(int set, int input, in InputGrain grain) =>
        _sets[set][input] = BinaryPrimitives.ReadUInt64LittleEndian(grain.Payload);

    public void RepeatInput(int fromSet, int toSet, int input) => _sets[toSet][input] = _sets[fromSet][input];

    public void Process(int set)
    {
        Interlocked.Increment(ref Processed);
        if (_clock != null && _processingTime != null) _clock.Advance(_processingTime(_sets[set]));
    }

    public void Export(int set, int output, Span<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(payload, InputCount);
        for (int i = 0; i < InputCount; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(payload[(8 + 8 * i)..], _sets[set][i]);
    }
}
