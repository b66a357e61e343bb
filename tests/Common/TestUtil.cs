using System.Text.Json;
using Ganymede.Backends;

namespace Ganymede.Tests;

/// <summary>Comparisons, finite-difference gradient checks and the PyTorch golden values shared by the tests.</summary>
public static class TestUtil
{
    public static void AssertClose(float[] expected, float[] actual, float atol = 1e-4f, float rtol = 1e-4f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float tol = atol + rtol * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= tol))
                Assert.Fail($"{what}[{i}]: expected {expected[i]}, got {actual[i]} (tolerance {tol})");
        }
    }

    public static void AssertClose(Tensor expected, Tensor actual, float atol = 1e-4f, float rtol = 1e-4f, string what = "")
    {
        Assert.Equal(expected.shape, actual.shape);
        AssertClose(expected.ToArray(), actual.ToArray(), atol, rtol, what);
    }

    /// <summary>
    /// Checks every input's gradient from backward against central differences of
    /// L = Σ f(inputs)·w for a fixed random w, on the reference backend (double accumulation).
    /// </summary>
    public static void GradCheck(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        using var _ = Backend.With(new ReferenceBackend());
        foreach (var x in inputs) x.requires_grad = true;
        var output = f(inputs);
        var weight = torch.randn(output.shape, new Generator(99));
        output.mul(weight).sum().backward();
        const float eps = 1e-3f;
        foreach (var x in inputs)
        {
            var analytic = x.grad!.ToArray();
            var data = x.AsSpan();
            for (int i = 0; i < data.Length; i++)
            {
                float saved = data[i];
                data[i] = saved + eps;
                double plus = Loss(f, inputs, weight);
                data[i] = saved - eps;
                double minus = Loss(f, inputs, weight);
                data[i] = saved;
                double numeric = (plus - minus) / (2 * eps);
                double tol = 2e-2 + 2e-2 * Math.Abs(numeric);
                if (Math.Abs(numeric - analytic[i]) > tol)
                    Assert.Fail($"gradient [{i}] of input {Array.IndexOf(inputs, x)} (shape [{string.Join(", ", x.shape)}]): backward {analytic[i]}, finite difference {numeric}");
            }
        }
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor weight)
    {
        using var _ = torch.no_grad();
        var values = f(inputs).ToArray();
        var w = weight.ToArray();
        double sum = 0;
        for (int i = 0; i < values.Length; i++) sum += (double)values[i] * w[i];
        return sum;
    }

    public static Tensor Randn(ulong seed, params int[] shape) => torch.randn(shape, new Generator(seed));

    private static readonly Lazy<JsonDocument> GoldenDocument = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "golden.json"))));

    /// <summary>One case of tests/fixtures/golden.json (written by make_golden.py from PyTorch).</summary>
    public static JsonElement Golden(string name) => GoldenDocument.Value.RootElement.GetProperty(name);

    /// <summary>Every case name tests/fixtures/golden.json holds.</summary>
    public static string[] GoldenCaseNames() => [.. GoldenDocument.Value.RootElement.EnumerateObject().Select(p => p.Name)];

    public static Tensor ToTensor(JsonElement element)
    {
        var shape = element.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var data = element.GetProperty("data").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        return torch.tensor(data, shape);
    }
}
