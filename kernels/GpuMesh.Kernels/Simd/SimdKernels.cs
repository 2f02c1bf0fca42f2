using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuMesh.Kernels;

/// <summary>SIMD CPU implementation (System.Runtime.Intrinsics, AVX2 with scalar fallback), rows spread over cores.</summary>
internal sealed unsafe partial class SimdKernels : IHostKernels
{
    public int DegreeOfParallelism { get; set; } = 1;

    public static string InstructionSet => Avx2.IsSupported ? "AVX2" : Vector128.IsHardwareAccelerated ? "Vector128 (scalar conversion)" : "scalar";

    sealed class DecodeJob : RowJob
    {
        public HostFrame Src, Dst;
        public DecodeCoefficients C;
        public override void Run(int y0, int y1)
        {
            var s = SimdScratch.Current;
            s.EnsureYuv(Src.Width);
            for (int y = y0; y < y1; y++) SimdYuv.DecodeRow(Src, Dst, y, C, s);
        }
    }

    sealed class EncodeJob : RowJob
    {
        public HostFrame Src, Dst;
        public EncodeCoefficients C;
        public override void Run(int y0, int y1)
        {
            var s = SimdScratch.Current;
            s.EnsureYuv(Src.Width);
            for (int y = y0; y < y1; y++) SimdYuv.EncodeRow(Src, Dst, y, C, s);
        }
    }

    readonly DecodeJob _decode = new();
    readonly EncodeJob _encode = new();

    public void Decode(in HostFrame src, in HostFrame dst, in ColorSpec spec)
    {
        _decode.Src = src; _decode.Dst = dst;
        _decode.C = DecodeCoefficients.Create(spec, dst.Format, src.Format == PixelFormat.V210a);
        RowPool.Run(_decode, src.Height, DegreeOfParallelism);
    }

    public void Encode(in HostFrame src, in HostFrame dst, in ColorSpec spec)
    {
        _encode.Src = src; _encode.Dst = dst;
        _encode.C = EncodeCoefficients.Create(spec, src.Format);
        RowPool.Run(_encode, src.Height, DegreeOfParallelism);
    }

}
