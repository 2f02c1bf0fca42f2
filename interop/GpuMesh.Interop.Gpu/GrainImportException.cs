namespace GpuMesh.Interop.Gpu;

/// <summary>A grain could not be imported into an accelerator; the message names the flow, slot and field.</summary>
public sealed class GrainImportException : Exception
{
    public GrainImportException(string message) : base(message) { }
    public GrainImportException(string message, Exception inner) : base(message, inner) { }
}
