namespace GpuMesh.Engine.Scheduling;

/// <summary>What an input does when its grain is late, flagged invalid or its flow is gone at the deadline.</summary>
public enum LatePolicy
{
    /// <summary>Use the last good grain of this input (falls back to Invalid before the first good grain).</summary>
    Repeat,
    /// <summary>Commit the output grain with the INVALID flag.</summary>
    Invalid,
    /// <summary>Write no output grain for this index.</summary>
    Skip,
}

public enum GrainOutcome
{
    Committed,
    CommittedInvalid,
    Skipped,
    /// <summary>The schedule jumped forward to the clock's index; <see cref="GrainReport.Dropped"/> indices passed over.</summary>
    Realigned,
}

/// <summary>What happened to one output index.</summary>
public readonly record struct GrainReport(ulong Index, GrainOutcome Outcome, long LatencyNs, uint MissingInputs, ulong Dropped = 0);

public static class LatePolicyText
{
    public static LatePolicy Parse(string text, string where) => text.Trim().ToLowerInvariant() switch
    {
        "repeat" => LatePolicy.Repeat,
        "invalid" => LatePolicy.Invalid,
        "skip" => LatePolicy.Skip,
        _ => throw new FormatException($"{where}: late policy '{text}' is not one of repeat, invalid, skip"),
    };
}
