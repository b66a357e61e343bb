namespace Ganymede.Backends;

/// <summary>
/// How exactly float32 convolutions are computed, as PyTorch's torch.set_float32_matmul_precision says it:
/// "highest" (the default) computes in float32; "medium" lets the native backend round the inputs of each
/// convolution (activations, weights, gradients) to bfloat16 and multiply them with the CPU's AVX512-BF16
/// dot-product instructions, accumulating and storing in float32: a faster step, at about three significant digits
/// per product (docs/benchmarks.md has the figures). "high" is float32 too: CPUs have no TensorFloat-32. The
/// reference backend always computes in float32, and so does the native one on CPUs without AVX512-BF16 and on
/// convolutions with fewer than <see cref="NativeBackend.MinBfloat16Channels"/> input or output channels.
/// </summary>
/// <summary>The values of torch.set_float32_matmul_precision, for code that holds one (training recipes).</summary>
public enum MatmulPrecision
{
    Highest,
    High,
    Medium,
}

public static class Float32Precision
{
    public static readonly string[] Names = ["highest", "high", "medium"];

    private static string _global = "highest";
    private static readonly AsyncLocal<string?> Scoped = new();

    /// <summary>The precision in force: the scoped one (<see cref="With(string)"/>) if any, else the process-wide one.</summary>
    public static string Current => Scoped.Value ?? _global;

    /// <summary>Whether convolutions may run on bfloat16 inputs now.</summary>
    public static bool AllowsBfloat16 => Current == "medium";

    public static void Set(string precision) => _global = Checked(precision);

    /// <summary>Uses <paramref name="precision"/> in this flow of execution until disposed (training scopes its recipe's precision this way).</summary>
    public static IDisposable With(string precision)
    {
        var previous = Scoped.Value;
        Scoped.Value = Checked(precision);
        return new OnDispose(() => Scoped.Value = previous);
    }

    /// <inheritdoc cref="With(string)"/>
    public static IDisposable With(MatmulPrecision precision) => With(precision.ToString().ToLowerInvariant());

    /// <summary>Parses a name ("highest", "high", "medium"), as command lines and tool forms give it.</summary>
    public static MatmulPrecision Parse(string precision) => Enum.Parse<MatmulPrecision>(Checked(precision), ignoreCase: true);

    private static string Checked(string precision) =>
        Names.Contains(precision)
            ? precision
            : throw new ArgumentException($"unknown float32 precision '{precision}': expected {string.Join(", ", Names)}");
}
