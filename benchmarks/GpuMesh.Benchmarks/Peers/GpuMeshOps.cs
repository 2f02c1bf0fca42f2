using GpuMesh.Kernels;

namespace GpuMesh.Benchmarks.Peers;

/// <summary>Binds each peer-comparison operation to GpuMesh's kernels: SIMD CPU backend, one thread.</summary>
public static class GpuMeshOps
{
    /// <summary>The op bound to its inputs (read in place from the /dev/shm mapping), writing into its own output buffer.</summary>
    public static IMeasuredOp Create(PeerOp op, IReadOnlyList<InputFile> inputs)
    {
        var kernels = FrameKernels.Create("simd", degreeOfParallelism: 1);
        try
        {
            return op switch
            {
                PeerOp.V210ToRgba8 => new ConvertOp(kernels, inputs[0], PixelFormat.V210, PixelFormat.Rgba8),
                PeerOp.V210ToRgbaFloat => new ConvertOp(kernels, inputs[0], PixelFormat.V210, PixelFormat.RgbaFloat),
                PeerOp.Rgba8ToV210 => new ConvertOp(kernels, inputs[0], PixelFormat.Rgba8, PixelFormat.V210),
                PeerOp.Bilinear1080To720 => new ScaleOp(kernels, inputs[0], 1280, 720, ScaleFilter.Bilinear),
                PeerOp.Lanczos1080To720 => new ScaleOp(kernels, inputs[0], 1280, 720, ScaleFilter.Lanczos3),
                PeerOp.Bilinear2160To1080 => new ScaleOp(kernels, inputs[0], 1920, 1080, ScaleFilter.Bilinear),
                PeerOp.Lanczos2160To1080 => new ScaleOp(kernels, inputs[0], 1920, 1080, ScaleFilter.Lanczos3),
                PeerOp.AlphaOver1080 => new AlphaOverOp(kernels, inputs[0], inputs[1]),
                _ => throw new ArgumentOutOfRangeException(nameof(op), op, "no GpuMesh binding for this operation"),
            };
        }
        catch
        {
            kernels.Dispose();
            throw;
        }
    }

    private abstract unsafe class KernelOp : IMeasuredOp
    {
        protected readonly FrameKernels Kernels;
        private readonly byte[] _output;
        protected readonly FrameLayout OutputLayout;

        protected KernelOp(FrameKernels kernels, FrameLayout outputLayout)
        {
            Kernels = kernels;
            OutputLayout = outputLayout;
            _output = GC.AllocateArray<byte>(checked((int)outputLayout.TotalBytes), pinned: true);
            _output.AsSpan().Fill(0x11); // touch the pages before timing
        }

        public string Implementation => "FrameKernels " + Kernels.Description;
        public ReadOnlySpan<byte> Output => _output;

        protected HostFrame OutputFrame()
        {
            fixed (byte* p = _output) return new HostFrame(p, _output.Length, OutputLayout); // pinned array: address is stable
        }

        protected static HostFrame InputFrame(InputFile input, int frame, FrameLayout layout) =>
            new(input.FrameAddress(frame), input.FrameBytes, layout);

        public abstract void Run(int frame);

        public void Dispose() => Kernels.Dispose();
    }

    private sealed class ConvertOp : KernelOp
    {
        private readonly InputFile _input;
        private readonly FrameLayout _inputLayout;
        private readonly HostFrame _output;

        public ConvertOp(FrameKernels kernels, InputFile input, PixelFormat from, PixelFormat to)
            : base(kernels, FrameLayout.Create(to, input.Width, input.Height))
        {
            _input = input;
            _inputLayout = FrameLayout.Create(from, input.Width, input.Height);
            _output = OutputFrame();
        }

        public override void Run(int frame) =>
            Kernels.Convert(InputFrame(_input, frame, _inputLayout), _output, ColorSpec.Default);
    }

    private sealed class ScaleOp : KernelOp
    {
        private readonly InputFile _input;
        private readonly FrameLayout _inputLayout;
        private readonly HostFrame _output;
        private readonly ScaleFilter _filter;

        public ScaleOp(FrameKernels kernels, InputFile input, int width, int height, ScaleFilter filter)
            : base(kernels, FrameLayout.Create(PixelFormat.Rgba8, width, height))
        {
            _input = input;
            _inputLayout = FrameLayout.Create(PixelFormat.Rgba8, input.Width, input.Height);
            _output = OutputFrame();
            _filter = filter;
        }

        public override void Run(int frame) =>
            Kernels.Scale(InputFrame(_input, frame, _inputLayout), _output, _filter);
    }

    private sealed class AlphaOverOp : KernelOp
    {
        private readonly InputFile _background, _foreground;
        private readonly FrameLayout _layout;
        private readonly HostFrame _output;
        private readonly CompositeLayer[] _layers = new CompositeLayer[1];

        public AlphaOverOp(FrameKernels kernels, InputFile background, InputFile foreground)
            : base(kernels, FrameLayout.Create(PixelFormat.Rgba8, background.Width, background.Height))
        {
            _background = background;
            _foreground = foreground;
            _layout = FrameLayout.Create(PixelFormat.Rgba8, background.Width, background.Height);
            _output = OutputFrame();
        }

        public override void Run(int frame)
        {
            _layers[0] = new CompositeLayer(InputFrame(_foreground, frame, _layout), new RectI(0, 0, _layout.Width, _layout.Height));
            Kernels.Composite(InputFrame(_background, frame, _layout), _layers, _output, AlphaMode.Straight);
        }
    }
}
