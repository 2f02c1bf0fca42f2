using GpuMesh.Interop.Mxl;

namespace GpuMesh.Interop.Gpu.Mxl;

/// <summary>Turns MXL slot mappings into <see cref="GrainMemory"/>, validating them first (shared memory is untrusted).</summary>
public static class MxlGrainMemory
{
    /// <summary>
    /// Describes <paramref name="mapping"/> of <paramref name="flowId"/> with a payload of <paramref name="payloadSize"/>
    /// bytes. The payload must lie inside the file, not only inside the mapping: pages past the end of a file fault.
    /// </summary>
    public static GrainMemory ToGrainMemory(this SlotMapping mapping, Guid flowId, int payloadSize)
    {
        var where = $"flow {flowId} slot {mapping.Slot}";
        if (mapping.BaseAddress == 0)
            throw new GrainImportException($"{where}: slot is not mapped.");
        if (mapping.FileLength < 0 || mapping.FileLength > mapping.Length)
            throw new GrainImportException($"{where}: file length {mapping.FileLength} exceeds the mapping length {mapping.Length}.");
        if (payloadSize <= 0 || mapping.PayloadOffset < 0 || mapping.PayloadOffset > mapping.FileLength - payloadSize)
            throw new GrainImportException(
                $"{where}: payload [{mapping.PayloadOffset}, +{payloadSize}) lies outside the grain file of {mapping.FileLength} bytes.");
        return new GrainMemory(flowId, mapping.Slot, mapping.BaseAddress, mapping.Length, mapping.PayloadOffset, payloadSize, mapping.Writable);
    }

    /// <summary>Slot <paramref name="slot"/> of a reader (read-only mapping).</summary>
    public static GrainMemory SlotMemory(this FlowReader reader, int slot) =>
        reader.GetSlotMapping(slot).ToGrainMemory(reader.FlowId, reader.GrainPayloadSize);

    /// <summary>Slot <paramref name="slot"/> of a writer (writable mapping).</summary>
    public static GrainMemory SlotMemory(this FlowWriter writer, int slot) =>
        writer.GetSlotMapping(slot).ToGrainMemory(writer.FlowId, writer.GrainPayloadSize);
}

/// <summary>
/// Reads grains of one flow and hands them to an importer: grain N's slot is imported once and reused for
/// every later grain in that slot. On FlowInvalid and on Dispose the flow's imports are released (before the
/// reader's mappings go away). Staged imports still need <see cref="IImportedGrain.Upload"/>.
/// </summary>
public sealed class ImportingFlowReader<TImported> : IDisposable where TImported : IImportedGrain
{
    private readonly bool _ownsReader;
    private bool _disposed;

    public ImportingFlowReader(FlowReader reader, IGrainImporter<TImported> importer, bool ownsReader = false)
    {
        Reader = reader ?? throw new ArgumentNullException(nameof(reader));
        Importer = importer ?? throw new ArgumentNullException(nameof(importer));
        _ownsReader = ownsReader;
    }

    public FlowReader Reader { get; }
    public IGrainImporter<TImported> Importer { get; }
    public Guid FlowId => Reader.FlowId;

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for grain <paramref name="index"/> and imports its slot. Timing
    /// outcomes (TooEarly, TooLate, FlowInvalid) come back as values with <paramref name="imported"/> = default;
    /// FlowInvalid also releases every import of the flow.
    /// </summary>
    public MxlStatus TryImport(ulong index, TimeSpan timeout, out GrainView grain, out TImported? imported, ushort minValidSlices = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        imported = default;
        var status = Reader.GetGrain(index, timeout, out grain, minValidSlices);
        if (status == MxlStatus.FlowInvalid)
        {
            Importer.ReleaseFlow(FlowId);
            return status;
        }
        if (status != MxlStatus.Ok)
            return status;
        if (grain.Size != Reader.GrainPayloadSize)
            throw new GrainImportException(
                $"flow {FlowId} grain {index}: header says {grain.Size} payload bytes, the flow defines {Reader.GrainPayloadSize}.");
        imported = Importer.Import(Reader.SlotMemory(grain.Slot));
        return status;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Importer.ReleaseFlow(FlowId);
        if (_ownsReader) Reader.Dispose();
    }
}

/// <summary>
/// Writes grains of one flow from accelerator memory: <see cref="OpenGrain"/> opens grain N and returns its
/// imported slot (write into it, Download when staged), <see cref="Commit"/> publishes it.
/// </summary>
public sealed class ImportingFlowWriter<TImported> : IDisposable where TImported : IImportedGrain
{
    private readonly bool _ownsWriter;
    private bool _disposed;

    public ImportingFlowWriter(FlowWriter writer, IGrainImporter<TImported> importer, bool ownsWriter = false)
    {
        Writer = writer ?? throw new ArgumentNullException(nameof(writer));
        Importer = importer ?? throw new ArgumentNullException(nameof(importer));
        _ownsWriter = ownsWriter;
    }

    public FlowWriter Writer { get; }
    public IGrainImporter<TImported> Importer { get; }
    public Guid FlowId => Writer.FlowId;

    /// <summary>Opens grain <paramref name="index"/> for writing and returns its imported slot.</summary>
    public TImported OpenGrain(ulong index, out GrainWriteAccess access)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        access = Writer.OpenGrain(index);
        try
        {
            return Importer.Import(Writer.SlotMemory(access.Slot));
        }
        catch
        {
            Writer.Cancel();
            throw;
        }
    }

    /// <summary>Publishes the open grain as complete (staged imports must be downloaded first).</summary>
    public void Commit() => Writer.CommitAll();

    /// <summary>Publishes the open grain as INVALID (e.g. the accelerator failed) so readers move on.</summary>
    public void CommitInvalid() => Writer.CommitInvalid();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Importer.ReleaseFlow(FlowId);
        if (_ownsWriter) Writer.Dispose();
    }
}
