using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.CPU;
using GpuMesh.Kernels;

namespace GpuMesh.Kernels.Tests;

/// <summary>A zeroed, 64-byte aligned native buffer holding one frame.</summary>
public sealed unsafe class FrameBuffer : IDisposable
{
    public FrameLayout Layout { get; }
    public byte* Pointer { get; private set; }
    public long Length { get; }

    public FrameBuffer(FrameLayout layout)
    {
        Layout = layout;
        Length = layout.TotalBytes;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Length, 64);
        NativeMemory.Clear(Pointer, (nuint)Length);
    }

    public HostFrame Frame => new(Pointer, Length, Layout);
    public Span<byte> Bytes => new(Pointer, checked((int)Length));
    public ushort U16(long offset) => *(ushort*)(Pointer + offset);
    public float F32(long offset) => *(float*)(Pointer + offset);

    public void Dispose()
    {
        if (Pointer != null) { NativeMemory.AlignedFree(Pointer); Pointer = null; }
    }
}

public static unsafe class TestFrames
{
    /// <summary>v210 / v210a / yuv422p10 frame from per-pixel luma, per-pair chroma and per-pixel key functions.</summary>
    public static FrameBuffer Yuv(PixelFormat format, int w, int h, Func<int, int, int> luma, Func<int, int, (int Cb, int Cr)> chroma, Func<int, int, int>? key = null)
    {
        var buf = new FrameBuffer(FrameLayout.Create(format, w, h));
        var l = buf.Layout;
        int pairs = (w + 1) / 2;
        for (int y = 0; y < h; y++)
        {
            if (format == PixelFormat.Yuv422p10)
            {
                ushort* py = (ushort*)(buf.Pointer + (long)y * l.Pitch);
                ushort* pb = (ushort*)(buf.Pointer + l.Plane1Offset + (long)y * l.Plane1Pitch);
                ushort* pr = (ushort*)(buf.Pointer + l.Plane2Offset + (long)y * l.Plane1Pitch);
                for (int x = 0; x < w; x++) py[x] = (ushort)luma(x, y);
                for (int k = 0; k < pairs; k++) { var c = chroma(k, y); pb[k] = (ushort)c.Cb; pr[k] = (ushort)c.Cr; }
                continue;
            }
            uint* row = (uint*)(buf.Pointer + (long)y * l.Pitch);
            // sample stream per 6 pixels: Cb0 Y0 Cr0 Y1 Cb1 Y2 Cr1 Y3 Cb2 Y4 Cr2 Y5
            for (int x = 0; x < w; x++) Put(row, 12 * (x / 6) + 2 * (x % 6) + 1, luma(x, y));
            for (int k = 0; k < pairs; k++)
            {
                var c = chroma(k, y);
                Put(row, 12 * (k / 3) + 4 * (k % 3), c.Cb);
                Put(row, 12 * (k / 3) + 4 * (k % 3) + 2, c.Cr);
            }
            if (format == PixelFormat.V210a)
            {
                uint* kr = (uint*)(buf.Pointer + l.Plane1Offset + (long)y * l.Plane1Pitch);
                for (int x = 0; x < w; x++) Put(kr, x, key?.Invoke(x, y) ?? 1023);
            }
        }
        return buf;
    }

    static void Put(uint* words, int s, int v) => words[s / 3] |= ((uint)v & 0x3FF) << (10 * (s % 3));

    /// <summary>Deterministic pseudo-random legal v210-family frame (Y 64..940, C 64..960, key 0..1023).</summary>
    public static FrameBuffer RandomYuv(PixelFormat format, int w, int h, int seed)
    {
        var r = new Random(seed);
        var ys = new int[w * h]; var cs = new (int, int)[((w + 1) / 2) * h]; var ks = new int[w * h];
        for (int i = 0; i < ys.Length; i++) { ys[i] = r.Next(64, 941); ks[i] = r.Next(0, 1024); }
        for (int i = 0; i < cs.Length; i++) cs[i] = (r.Next(64, 961), r.Next(64, 961));
        int pairs = (w + 1) / 2;
        return Yuv(format, w, h, (x, y) => ys[y * w + x], (k, y) => cs[y * pairs + k], (x, y) => ks[y * w + x]);
    }

    /// <summary>Pseudo-random RGBA frame (smooth gradients plus noise so filters see structure).</summary>
    public static FrameBuffer RandomRgba(PixelFormat format, int w, int h, int seed, bool randomAlpha = true)
    {
        var buf = new FrameBuffer(FrameLayout.Create(format, w, h));
        var r = new Random(seed);
        for (int y = 0; y < h; y++)
        {
            byte* row = buf.Pointer + (long)y * buf.Layout.Pitch;
            for (int x = 0; x < w; x++)
            {
                float gx = (float)x / Math.Max(1, w - 1), gy = (float)y / Math.Max(1, h - 1);
                float[] v =
                {
                    Math.Clamp(gx * 0.8f + (float)r.NextDouble() * 0.2f, 0, 1),
                    Math.Clamp(gy * 0.7f + (float)r.NextDouble() * 0.3f, 0, 1),
                    (float)r.NextDouble(),
                    randomAlpha ? (float)r.NextDouble() : 1f,
                };
                for (int c = 0; c < 4; c++)
                {
                    switch (format)
                    {
                        case PixelFormat.Rgba8: row[x * 4 + c] = (byte)Math.Round(v[c] * 255); break;
                        case PixelFormat.Rgba16: ((ushort*)row)[x * 4 + c] = (ushort)Math.Round(v[c] * 65535); break;
                        case PixelFormat.RgbaHalf: ((System.Half*)row)[x * 4 + c] = (System.Half)v[c]; break;
                        default: ((float*)row)[x * 4 + c] = v[c]; break;
                    }
                }
            }
        }
        return buf;
    }

    public static void AssertSame(FrameBuffer expected, FrameBuffer actual, string what)
    {
        var e = expected.Bytes; var a = actual.Bytes;
        Assert.Equal(e.Length, a.Length);
        int i = e.SequenceCompareTo(a) == 0 ? -1 : FirstDiff(e, a);
        if (i >= 0)
        {
            long row = i / expected.Layout.Pitch, col = i % expected.Layout.Pitch;
            Assert.Fail($"{what}: {expected.Layout} differs at byte {i} (row {row}, byte {col} of the line): expected {e[i]}, got {a[i]}");
        }
    }

    /// <summary>Same size and every byte within <paramref name="tolerance"/> code values (8-bit formats); returns the largest difference.</summary>
    public static int AssertClose(FrameBuffer expected, FrameBuffer actual, int tolerance, string what)
    {
        var e = expected.Bytes; var a = actual.Bytes;
        Assert.Equal(e.Length, a.Length);
        int max = 0;
        for (int i = 0; i < e.Length; i++)
        {
            int d = Math.Abs(e[i] - a[i]);
            if (d > max) max = d;
            if (d > tolerance)
            {
                long row = i / expected.Layout.Pitch, col = i % expected.Layout.Pitch;
                Assert.Fail($"{what}: {expected.Layout} differs by {d} (> {tolerance}) at byte {i} (row {row}, byte {col} of the line): expected {e[i]}, got {a[i]}");
            }
        }
        return max;
    }

    /// <summary>
    /// 10-bit Y'CbCr frames (v210, v210a: three 10-bit fields per 32-bit word; yuv422p10: 16-bit samples): every code
    /// value within <paramref name="tolerance"/>; returns the largest difference.
    /// </summary>
    public static int AssertClose10(FrameBuffer expected, FrameBuffer actual, int tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int max = 0;
        bool planar = expected.Layout.Format == PixelFormat.Yuv422p10;
        long step = planar ? 2 : 4;
        for (long o = 0; o + step <= expected.Length; o += step)
        {
            uint e = planar ? expected.U16(o) : *(uint*)(expected.Pointer + o);
            uint a = planar ? actual.U16(o) : *(uint*)(actual.Pointer + o);
            int fields = planar ? 1 : 3;
            if (!planar && (e >> 30) != (a >> 30)) Assert.Fail($"{what}: {expected.Layout} word at byte {o}: padding bits differ");
            for (int f = 0; f < fields; f++)
            {
                int ev = planar ? (int)e : (int)((e >> (10 * f)) & 0x3FF), av = planar ? (int)a : (int)((a >> (10 * f)) & 0x3FF);
                int d = Math.Abs(ev - av);
                if (d > max) max = d;
                if (d > tolerance)
                    Assert.Fail($"{what}: {expected.Layout} differs by {d} (> {tolerance}) at byte {o}, field {f} (row {o / expected.Layout.Pitch}): expected {ev}, got {av}");
            }
        }
        return max;
    }

    static int FirstDiff(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return i;
        return -1;
    }
}

/// <summary>One ILGPU CPU accelerator shared by the tests of a class (creating contexts is slow).</summary>
public sealed class IlgpuFixture : IDisposable
{
    public Context Context { get; }
    public CPUAccelerator Accelerator { get; }
    public FrameKernels Kernels { get; }

    public IlgpuFixture()
    {
        Context = Context.Create(b => b.CPU().EnableAlgorithms());
        Accelerator = Context.CreateCPUAccelerator(0);
        Kernels = FrameKernels.Create(Accelerator);
    }

    public void Dispose()
    {
        Kernels.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}
