using System.Numerics;
using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>
/// ReLU and leaky ReLU, vectorised: on activations about half the values are negative, so a scalar
/// branch mispredicts constantly; a vector select has no branch. Forward and backward side by side.
/// </summary>
internal static class Activations
{
    public static Tensor LeakyRelu(Tensor input, float slope, string name)
    {
        using var profile = Profiler.Scope(name);
        Binary.CheckFloat(name, input);
        var x = input.contiguous();
        var y = Tensor.Empty(input.shape, clear: false);
        var xa = x.Floats;
        var ya = y.Floats;
        int xo = (int)x.Offset;
        Chunks.For(ya.Length == 0 ? 0 : (int)y.numel(), (start, end) => Forward(xa.AsSpan(xo + start, end - start), ya.AsSpan(start, end - start), slope));
        return AutogradEngine.Record(y, name, [input], g =>
        {
            var gc = g.contiguous();
            var dx = Tensor.Empty(input.shape, clear: false);
            var ga = gc.Floats;
            var da = dx.Floats;
            int go = (int)gc.Offset;
            Chunks.For((int)dx.numel(), (start, end) =>
                Backward(xa.AsSpan(xo + start, end - start), ga.AsSpan(go + start, end - start), da.AsSpan(start, end - start), slope));
            return [dx];
        });
    }

    /// <summary>y = x > 0 ? x : slope·x.</summary>
    private static void Forward(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        int i = 0;
        var vs = new Vector<float>(slope);
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = new Vector<float>(x[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * vs).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];
    }

    /// <summary>dx = x > 0 ? g : slope·g.</summary>
    private static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> dx, float slope)
    {
        int i = 0;
        var vs = new Vector<float>(slope);
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var gv = new Vector<float>(g[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(x[i..]), Vector<float>.Zero), gv, gv * vs).CopyTo(dx[i..]);
        }
        for (; i < x.Length; i++) dx[i] = x[i] > 0 ? g[i] : slope * g[i];
    }
}
