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
        // Elementwise, so any layout works as long as input, output and gradients share it.
        bool blocked = BlockedLayout.Prefer(input);
        var (xa, xo) = BlockedLayout.Raw(input, blocked);
        var y = BlockedLayout.Empty(input.shape, blocked);
        var ya = BlockedLayout.Out(y, blocked);
        Chunks.For((int)y.numel(), (start, end) => Forward(xa.AsSpan(xo + start, end - start), ya.AsSpan(start, end - start), slope));
        return AutogradEngine.Record(y, name, [input], g =>
        {
            var (ga, go) = BlockedLayout.Raw(g, blocked);
            var dx = BlockedLayout.Empty(input.shape, blocked);
            var da = BlockedLayout.Out(dx, blocked);
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
