using GpuMesh.Kernels;

namespace GpuMesh.Engine.Processing;

/// <summary>A named author function that a graph's custom node can run; built from the node's parameters.</summary>
public abstract class CustomFunction
{
    public abstract string Name { get; }

    /// <summary>Compiles the function now (ILGPU compile errors surface here, not mid-run).</summary>
    public abstract void Register(FrameKernels kernels);

    public abstract void Run(FrameKernels kernels, in HostFrame source, in HostFrame destination, IReadOnlyDictionary<string, float> parameters);
}

/// <summary>Adapts a per-pixel author struct (see <see cref="IPixelFunction"/>) to a named custom function.</summary>
public sealed class PixelFunction<TFunc> : CustomFunction where TFunc : struct, IPixelFunction
{
    private readonly Func<IReadOnlyDictionary<string, float>, TFunc> _create;

    public PixelFunction(string name, Func<IReadOnlyDictionary<string, float>, TFunc> create)
    {
        Name = name;
        _create = create;
    }

    public override string Name { get; }
    public override void Register(FrameKernels kernels) => kernels.Register<TFunc>();

    public override void Run(FrameKernels kernels, in HostFrame source, in HostFrame destination, IReadOnlyDictionary<string, float> parameters) =>
        kernels.Apply(source, destination, _create(parameters));
}

/// <summary>The registry the graph's "custom" nodes look functions up in; has a few built-ins.</summary>
public sealed class CustomFunctionRegistry
{
    private readonly Dictionary<string, CustomFunction> _functions = new(StringComparer.Ordinal);

    public static CustomFunctionRegistry CreateDefault()
    {
        var r = new CustomFunctionRegistry();
        r.Add(new PixelFunction<GainFunction>("gain", p => new GainFunction(Get(p, "gain", 1f))));
        r.Add(new PixelFunction<InvertFunction>("invert", _ => default));
        r.Add(new PixelFunction<TintFunction>("tint", p => new TintFunction(Get(p, "r", 1f), Get(p, "g", 1f), Get(p, "b", 1f), Get(p, "amount", 0.5f))));
        return r;
    }

    public void Add(CustomFunction function)
    {
        if (!_functions.TryAdd(function.Name, function))
            throw new ArgumentException($"custom function '{function.Name}' is already registered");
    }

    public CustomFunction Get(string name) => _functions.TryGetValue(name, out var f) ? f
        : throw new KeyNotFoundException($"custom function '{name}' is not registered (known: {string.Join(", ", _functions.Keys.Order())})");

    public IEnumerable<string> Names => _functions.Keys.Order();

    private static float Get(IReadOnlyDictionary<string, float> p, string key, float fallback) => p.TryGetValue(key, out var v) ? v : fallback;
}

/// <summary>Multiplies colour by a gain (alpha kept).</summary>
public readonly struct GainFunction : IPixelFunction
{
    private readonly float _gain;
    public GainFunction(float gain) => _gain = gain;
    public Float4 Apply(Float4 p, int x, int y) => new(p.R * _gain, p.G * _gain, p.B * _gain, p.A);
}

/// <summary>1 - colour (alpha kept).</summary>
public readonly struct InvertFunction : IPixelFunction
{
    public Float4 Apply(Float4 p, int x, int y) => new(1f - p.R, 1f - p.G, 1f - p.B, p.A);
}

/// <summary>Mixes colour towards (r, g, b) by amount.</summary>
public readonly struct TintFunction : IPixelFunction
{
    private readonly float _r, _g, _b, _amount;
    public TintFunction(float r, float g, float b, float amount) { _r = r; _g = g; _b = b; _amount = amount; }
    public Float4 Apply(Float4 p, int x, int y)
    {
        float k = 1f - _amount;
        return new Float4(p.R * k + _r * _amount, p.G * k + _g * _amount, p.B * k + _b * _amount, p.A);
    }
}
