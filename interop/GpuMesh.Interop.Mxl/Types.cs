namespace GpuMesh.Interop.Mxl;

/// <summary>MXL status codes (same numeric values as the MXL SDK).</summary>
public enum MxlStatus
{
    Ok = 0,
    Unknown = 1,
    FlowNotFound = 2,
    TooLate = 3,
    TooEarly = 4,
    InvalidFlowReader = 5,
    InvalidFlowWriter = 6,
    Timeout = 7,
    InvalidArg = 8,
    Conflict = 9,
    PermissionDenied = 10,
    FlowInvalid = 11,
}

/// <summary>The data format field of a flow header.</summary>
public enum MxlDataFormat
{
    Unspecified = 0,
    Video = 1,
    Audio = 2,
    Data = 3,
}

public enum InterlaceMode
{
    Progressive,
    InterlacedTff,
    InterlacedBff,
}

/// <summary>A rational number (grain or sample rate).</summary>
public readonly record struct Rational(long Numerator, long Denominator)
{
    public bool IsValid => Numerator > 0 && Denominator > 0;

    /// <summary>The same value with numerator and denominator divided by their gcd.</summary>
    public Rational Normalize()
    {
        if (Numerator == 0 || Denominator == 0) return this;
        long g = (long)ulong.CreateTruncating(System.Numerics.BigInteger.GreatestCommonDivisor(Numerator, Denominator));
        return g <= 1 ? this : new Rational(Numerator / g, Denominator / g);
    }

    public double ToDouble() => (double)Numerator / Denominator;

    public override string ToString() => $"{Numerator}/{Denominator}";

    /// <summary>Parses "50/1", "30000/1001" or "48000".</summary>
    public static Rational Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length > 2 || !long.TryParse(parts[0], out long num) || num <= 0)
            throw new FormatException($"'{text}' is not a rational rate like 50/1 or 30000/1001");
        long den = 1;
        if (parts.Length == 2 && (!long.TryParse(parts[1], out den) || den <= 0))
            throw new FormatException($"'{text}' is not a rational rate like 50/1 or 30000/1001");
        return new Rational(num, den);
    }
}

/// <summary>An MXL error: names the status and, where known, the flow.</summary>
public class MxlException : Exception
{
    public MxlException(MxlStatus status, string message, Guid? flowId = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        FlowId = flowId;
    }

    public MxlStatus Status { get; }
    public Guid? FlowId { get; }
}

/// <summary>Shared memory of a flow holds values that are inconsistent or out of range.</summary>
public sealed class MxlFlowCorruptException : MxlException
{
    public MxlFlowCorruptException(Guid flowId, string field, string message)
        : base(MxlStatus.FlowInvalid, $"flow {flowId}: corrupt {field}: {message}", flowId)
    {
        Field = field;
    }

    public string Field { get; }
}

/// <summary>A flow definition (NMOS JSON) or writer option that MXL would reject.</summary>
public sealed class MxlFlowDefinitionException : MxlException
{
    public MxlFlowDefinitionException(string field, string message)
        : base(MxlStatus.InvalidArg, $"invalid flow definition: field '{field}': {message}")
    {
        Field = field;
    }

    public string Field { get; }
}

internal static class Disposal
{
    public static void ThrowIf(bool disposed, string objectName)
    {
        if (disposed) throw new ObjectDisposedException(objectName, $"{objectName} has been disposed.");
    }
}

/// <summary>
/// Keeps a reader's mappings alive while calls are in flight: Dispose waits for them (waking futex waiters)
/// before unmapping, so disposing on another thread cannot make a blocked read touch unmapped memory.
/// </summary>
internal sealed class UseGuard(string objectName)
{
    private int _users;
    private int _disposed;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public void Enter()
    {
        Interlocked.Increment(ref _users);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _users);
            Disposal.ThrowIf(true, objectName);
        }
    }

    public void Exit() => Interlocked.Decrement(ref _users);

    public void ThrowIfDisposed() => Disposal.ThrowIf(IsDisposed, objectName);

    /// <summary>Marks disposed and waits for in-flight calls; false when already disposed.</summary>
    public bool BeginDispose(Action wakeWaiters)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return false;
        while (Volatile.Read(ref _users) != 0)
        {
            wakeWaiters();
            Thread.Sleep(1);
        }
        return true;
    }
}
