namespace GpuMesh.Kernels;

/// <summary>Per-thread scratch rows, grown on demand and reused (no allocation in the steady state).</summary>
internal sealed class SimdScratch
{
    [ThreadStatic] static SimdScratch? _current;
    public static SimdScratch Current => _current ??= new SimdScratch();

    public int[] YEven = Array.Empty<int>(), YOdd = Array.Empty<int>(), Cb = Array.Empty<int>(), Cr = Array.Empty<int>();
    public int[] KeyEven = Array.Empty<int>(), KeyOdd = Array.Empty<int>(), Key = Array.Empty<int>();
    public float[] CbEven = Array.Empty<float>(), CbOdd = Array.Empty<float>(), CrEven = Array.Empty<float>(), CrOdd = Array.Empty<float>();
    public float[] Row = Array.Empty<float>();
    public float[] Out = Array.Empty<float>();
    /// <summary>Integer RGBA8 compositing: one canvas row, premultiplied u16 (1.0 = 65025).</summary>
    public ushort[] Canvas16 = Array.Empty<ushort>();
    /// <summary>v210 -> RGBA8 fixed-point coefficients, converted once per set of <see cref="DecodeCoefficients"/>.</summary>
    public SimdDecodeRgba8.Coeffs DecodeRgba8;

    /// <summary>Size the Y'CbCr rows for a width (pairs plus vector padding).</summary>
    public void EnsureYuv(int width)
    {
        int n = (width + 1) / 2 + 32;
        if (YEven.Length >= n) return;
        YEven = new int[n]; YOdd = new int[n]; Cb = new int[n]; Cr = new int[n];
        KeyEven = new int[n]; KeyOdd = new int[n]; Key = new int[2 * n + 8];
        CbEven = new float[n]; CbOdd = new float[n + 1]; CrEven = new float[n]; CrOdd = new float[n + 1];
    }

    public float[] EnsureRow(int floats)
    {
        if (Row.Length < floats) Row = new float[floats + 64];
        return Row;
    }

    // Scaling: horizontal-pass cache of source rows (ring keyed by source row index).
    public float[] HRows = Array.Empty<float>();
    public int[] HRowIndex = Array.Empty<int>();
    public int HStride, HSlots;
    public object? HOwner;

    public void EnsureHRows(int slots, int stride, object owner)
    {
        if (HRows.Length < slots * stride) HRows = new float[slots * stride];
        if (HRowIndex.Length < slots) HRowIndex = new int[slots];
        HStride = stride; HSlots = slots; HOwner = owner;
        Array.Fill(HRowIndex, -1, 0, slots);
    }
}
