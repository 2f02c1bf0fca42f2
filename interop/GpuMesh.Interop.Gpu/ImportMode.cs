namespace GpuMesh.Interop.Gpu;

/// <summary>How a grain reaches the accelerator.</summary>
public enum ImportMode
{
    /// <summary>The accelerator reads (and for writable mappings writes) the shared host memory itself.</summary>
    ZeroCopy,

    /// <summary>The grain is copied into accelerator memory (Upload) and, for outputs, back (Download).</summary>
    Staged,
}
