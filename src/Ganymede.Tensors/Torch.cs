using Ganymede.Autograd;
using Ganymede.Storage;

namespace Ganymede;

/// <summary>Tensor creation and global state, named as in PyTorch (torch.zeros, torch.manual_seed, torch.no_grad).</summary>
public static partial class torch
{
    /// <summary>The generator used when none is passed; reseed with <see cref="manual_seed"/>.</summary>
    public static Generator default_generator { get; } = new(0);

    public static void manual_seed(ulong seed) => default_generator.manual_seed(seed);

    public static IDisposable no_grad() => GradMode.NoGrad();

    public static bool is_grad_enabled() => GradMode.IsEnabled;

    /// <summary>"highest" (float32, the default) or "medium" (convolutions on bfloat16 inputs); see <see cref="Backends.Float32Precision"/>.</summary>
    public static void set_float32_matmul_precision(string precision) => Backends.Float32Precision.Set(precision);

    public static string get_float32_matmul_precision() => Backends.Float32Precision.Current;

    /// <summary>Every tensor created until the scope ends is disposed with it (TorchSharp's NewDisposeScope).</summary>
    public static DisposeScope NewDisposeScope() => new();

    public static Tensor empty(params int[] shape) => Tensor.Empty(shape, clear: false);

    public static Tensor zeros(params int[] shape) => Tensor.Empty(shape);

    public static Tensor zeros(int[] shape, DType dtype) => Tensor.Empty(shape, dtype);

    public static Tensor ones(params int[] shape) => full(shape, 1f);

    public static Tensor full(int[] shape, float value)
    {
        var t = Tensor.Empty(shape, clear: false);
        t.Span.Fill(value);
        return t;
    }

    public static Tensor zeros_like(Tensor t) => zeros(t.shape);

    public static Tensor ones_like(Tensor t) => ones(t.shape);

    /// <summary>Values start, start+step, ... below end (float32).</summary>
    public static Tensor arange(float start, float end, float step = 1f)
    {
        if (step == 0 || float.IsNaN(start) || float.IsNaN(end)) throw new ArgumentException($"arange: invalid range {start}..{end} step {step}");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Tensor.Empty([n], clear: false);
        var s = t.Span;
        for (int i = 0; i < n; i++) s[i] = start + i * step;
        return t;
    }

    public static Tensor arange(int end) => arange(0, end);

    /// <summary>Uniform in [0, 1).</summary>
    public static Tensor rand(int[] shape, Generator? generator = null)
    {
        var t = Tensor.Empty(shape, clear: false);
        (generator ?? default_generator).FillUniform(t.Span);
        return t;
    }

    public static Tensor rand(params int[] shape) => rand(shape, null);

    /// <summary>Standard normal.</summary>
    public static Tensor randn(int[] shape, Generator? generator = null)
    {
        var t = Tensor.Empty(shape, clear: false);
        (generator ?? default_generator).FillNormal(t.Span);
        return t;
    }

    public static Tensor randn(params int[] shape) => randn(shape, null);

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/>, shaped as given (1-D by default).</summary>
    public static Tensor tensor(ReadOnlySpan<float> data, int[]? shape = null, bool requires_grad = false)
    {
        shape ??= [data.Length];
        if (Shape.Numel(shape) != data.Length)
            throw new ShapeException($"tensor: {data.Length} values do not fill shape {Shape.Format(shape)}");
        var t = Tensor.Empty(shape, clear: false);
        data.CopyTo(t.Span);
        t.requires_grad = requires_grad;
        return t;
    }

    public static Tensor tensor(float[] data, params int[] shape) => tensor(data.AsSpan(), shape.Length == 0 ? null : shape);

    public static Tensor scalar_tensor(float value) => tensor([value], []);

    /// <summary>An int64 tensor (class indices, labels).</summary>
    public static Tensor tensor(ReadOnlySpan<long> data, int[]? shape = null)
    {
        shape ??= [data.Length];
        if (Shape.Numel(shape) != data.Length)
            throw new ShapeException($"tensor: {data.Length} values do not fill shape {Shape.Format(shape)}");
        var t = Tensor.Empty(shape, DType.Int64, clear: false);
        data.CopyTo(t.Storage.Longs.AsSpan(0, data.Length));
        return t;
    }

    /// <summary>Wraps an existing array without copying; the array must not be used elsewhere afterwards.</summary>
    public static Tensor from_array(float[] data, params int[] shape)
    {
        if (Shape.Numel(shape) != data.Length)
            throw new ShapeException($"from_array: {data.Length} values do not fill shape {Shape.Format(shape)}");
        return new Tensor(TensorStorage.Wrap(DType.Float32, data), (int[])shape.Clone(), Shape.ContiguousStrides(shape), 0);
    }
}
