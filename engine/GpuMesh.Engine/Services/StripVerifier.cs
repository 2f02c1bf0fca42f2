using GpuMesh.Engine.Sources;
using GpuMesh.Engine.Timing;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Engine.Services;

/// <summary>
/// A CPU reader service: follows a v210 flow grain by grain on its own reader while the writer runs, and checks
/// every grain is complete, valid and carries the test pattern's index strip of its own index (i.e. the output of
/// index N was made from the inputs' grain N), or of an older grain (a repeat of a late input); anything else (a grain
/// from the future, a torn or garbled picture) is a mismatch. Reads never slow the writer down.
/// </summary>
public sealed class StripVerifier : IDisposable
{
    private readonly FlowReader _reader;
    private readonly MediaRate _rate;
    private readonly int _width, _height;
    private long _verified, _repeated, _mismatched, _invalid, _missed;

    /// <summary>An output showing an input grain at most this much older than its own index counts as a repeat (late input).</summary>
    public ulong MaxRepeatAge { get; init; } = 1 << 12;

    public StripVerifier(MxlDomain domain, Guid flowId)
    {
        _reader = domain.OpenFlowReader(flowId);
        var def = _reader.Definition;
        if (def.Format != MxlDataFormat.Video) throw new ArgumentException($"flow {flowId} is {def.MediaType}, the verifier reads video");
        _width = def.FrameWidth;
        _height = def.FrameHeight;
        _rate = new MediaRate(_reader.GrainRate.Numerator, _reader.GrainRate.Denominator);
        FlowId = flowId;
    }

    public Guid FlowId { get; }
    public long Verified => Interlocked.Read(ref _verified);
    /// <summary>Grains made from an older input grain (the engine's repeat policy stood in for a late input).</summary>
    public long Repeated => Interlocked.Read(ref _repeated);
    public long Mismatched => Interlocked.Read(ref _mismatched);
    public long Invalid => Interlocked.Read(ref _invalid);
    public long Missed => Interlocked.Read(ref _missed);
    public string? FirstProblem { get; private set; }

    /// <summary>Checks grain <paramref name="index"/> as it is now; Ok when it could be read.</summary>
    public MxlStatus Check(ulong index, TimeSpan timeout)
    {
        // The writer moved past this index without writing it (it skipped or realigned): do not wait for it.
        MxlStatus status = _reader.TryGetGrain(index, out GrainView g);
        if (status == MxlStatus.TooEarly && _reader.HeadIndex <= index) status = _reader.GetGrain(index, timeout, out g);
        if (status != MxlStatus.Ok) return status;
        if (g.IsInvalid)
        {
            Interlocked.Increment(ref _invalid);
            return status;
        }
        ulong seen = TestPattern.ReadIndexStrip(g.Payload, _width, _height);
        ulong expect = index & TestPattern.StripMask(_width);
        // A grain is only stable while the writer cannot have opened its slot again (head + 1 < index + grainCount):
        // a reader that fell a whole ring behind may have read a payload being rewritten. Count that as missed.
        if (!IsStable(index))
        {
            Interlocked.Increment(ref _missed);
            return MxlStatus.TooLate;
        }
        ulong mask = TestPattern.StripMask(_width);
        ulong age = (expect - seen) & mask;
        if (age == 0) Interlocked.Increment(ref _verified);
        else if (age <= MaxRepeatAge) Interlocked.Increment(ref _repeated);
        else
        {
            Interlocked.Increment(ref _mismatched);
            FirstProblem ??= $"flow {FlowId} grain {index}: index strip reads {seen}, expected {expect} (or an older grain repeated)";
        }
        return status;
    }

    private bool IsStable(ulong index) => _reader.HeadIndex + 1 < index + (ulong)_reader.GrainCount;

    /// <summary>Follows the flow from the clock's current index until cancelled.</summary>
    public void Run(CancellationToken cancellationToken, IEngineClock? clock = null)
    {
        clock ??= TaiClock.Instance;
        ulong n = _rate.IndexAt(clock.NowNs);
        TimeSpan wait = TimeSpan.FromTicks((long)(_rate.PeriodNs / 100) * 3);
        while (!cancellationToken.IsCancellationRequested)
        {
            MxlStatus s = Check(n, wait);
            switch (s)
            {
                case MxlStatus.Ok:
                    n++;
                    break;
                case MxlStatus.TooLate:
                    if (IsStable(n + 1)) { n++; break; }
                    ulong now = _rate.IndexAt(clock.NowNs);
                    Interlocked.Add(ref _missed, (long)(now > n ? now - n : 1));
                    n = Math.Max(n + 1, now);
                    break;
                case MxlStatus.TooEarly when _reader.HeadIndex == 0:
                    // Nothing committed yet (a new flow's head is 0): the writer has not started, nothing is missed.
                    n = Math.Max(n, _rate.IndexAt(clock.NowNs));
                    break;
                case MxlStatus.TooEarly:
                    // Skipped by the writer (its head is past it), or not there 3 periods after it was due: move on.
                    if (_reader.HeadIndex > n || _rate.IndexAt(clock.NowNs) > n + 1) { Interlocked.Increment(ref _missed); n++; }
                    break;
                case MxlStatus.FlowInvalid:
                    return;
                default:
                    throw new MxlException(s, $"verifier: reading flow {FlowId} grain {n} failed with {s}", FlowId);
            }
        }
    }

    public string Summary() =>
        $"reader service: {Verified} grains verified, {Repeated} showing a repeated input, {Mismatched} mismatched, {Invalid} flagged invalid (e.g. indices the writer skipped), {Missed} missed" +
        (FirstProblem != null ? $" (first problem: {FirstProblem})" : "");

    public void Dispose() => _reader.Dispose();
}
