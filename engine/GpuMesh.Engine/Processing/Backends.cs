using GpuMesh.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace GpuMesh.Engine.Processing;

/// <summary>Chooses where the kernels run: CUDA through ILGPU where a GPU exists, SIMD CPU code otherwise; forceable.</summary>
public static class Backends
{
    public static readonly string[] Names = { "auto", "cuda", "simd", "ilgpu-cpu", "reference" };

    private static bool? _cuda;

    /// <summary>True when ILGPU finds a CUDA device (checked once per process).</summary>
    public static bool CudaAvailable
    {
        get
        {
            if (_cuda is { } known) return known;
            try
            {
                using var ctx = Context.Create(b => b.Cuda());
                _cuda = ctx.Devices.Any(d => d.AcceleratorType == AcceleratorType.Cuda);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _cuda = false;
            }
            return _cuda.Value;
        }
    }

    /// <summary>"auto" becomes "cuda" or "simd"; other names are checked and returned.</summary>
    public static string Resolve(string? backend)
    {
        string b = (backend ?? "auto").Trim().ToLowerInvariant();
        if (b == "auto") return CudaAvailable ? "cuda" : "simd";
        if (!Names.Contains(b)) throw new ArgumentException($"backend '{backend}' is not one of {string.Join(", ", Names)}");
        if (b == "cuda" && !CudaAvailable) throw new InvalidOperationException("backend 'cuda' was forced but ILGPU finds no CUDA device on this machine");
        return b;
    }

    /// <summary>Author (custom) functions: on the GPU with a CUDA backend, else on ILGPU's CPU accelerator.</summary>
    public static string ResolveAuthor(string mainBackend, string? authorBackend)
    {
        string a = (authorBackend ?? "auto").Trim().ToLowerInvariant();
        if (a == "auto") return mainBackend == "cuda" ? "cuda" : "ilgpu-cpu";
        if (a == "same") return mainBackend;
        return Resolve(a);
    }

    public static FrameKernels Create(string resolved) => FrameKernels.Create(resolved);
}
