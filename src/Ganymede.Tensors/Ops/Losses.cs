using System.Runtime.Intrinsics;
using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>
/// Losses computed in one pass over their inputs, forward and backward side by side: eight lanes at a time, then the
/// tail with the scalar functions. .NET's vector exp and log run several times slower than the scalar ones until tiered
/// compilation has optimised them, and several times faster after; the training commands run fully optimised from the
/// first step.
/// </summary>
internal static class Losses
{
    /// <summary>
    /// mean((1 − t)·x + softplus(−x)), with softplus(−x) = log(1 + e^−|x|) + max(−x, 0) so no exponential overflows.
    /// The gradients: d/dx = (sigmoid(x) − t)/n, d/dt = −x/n.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target)
    {
        using var profile = Profiler.Scope("binary_cross_entropy_with_logits");
        var x = input.contiguous();
        var t = target.contiguous();
        int n = (int)x.numel();
        var loss = torch.scalar_tensor((float)(Sum(x.Span, t.Span) / n));
        return AutogradEngine.Record(loss, "binary_cross_entropy_with_logits", [input, target], g =>
        {
            float scale = g.item() / n;
            Tensor? dx = null, dt = null;
            if (input.RequiresGradFlag)
            {
                dx = Tensor.Empty(input.shape, clear: false);
                InputGradient(x.Span, t.Span, scale, dx.Span);
            }
            if (target.RequiresGradFlag)
            {
                dt = Tensor.Empty(target.shape, clear: false);
                VectorMath.ScaleShift(x.Span, dt.Span, -scale, 0);
            }
            return [dx, dt];
        });
    }

    private static double Sum(ReadOnlySpan<float> x, ReadOnlySpan<float> t)
    {
        double sum = 0;
        int i = 0;
        for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var xv = Vector256.Create(x[i..]);
            var softplus = Vector256.Log(Vector256<float>.One + Vector256.Exp(-Vector256.Abs(xv))) + Vector256.Max(-xv, Vector256<float>.Zero);
            sum += Vector256.Sum((Vector256<float>.One - Vector256.Create(t[i..])) * xv + softplus);
        }
        for (; i < x.Length; i++)
            sum += (1 - t[i]) * x[i] + MathF.Log(1 + MathF.Exp(-MathF.Abs(x[i]))) + MathF.Max(-x[i], 0);
        return sum;
    }

    /// <summary>scale·(sigmoid(x) − t), with sigmoid from e^−|x| (no overflow either side).</summary>
    private static void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> t, float scale, Span<float> dx)
    {
        var s = Vector256.Create(scale);
        int i = 0;
        for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var xv = Vector256.Create(x[i..]);
            var e = Vector256.Exp(-Vector256.Abs(xv));
            var sigmoid = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(xv, Vector256<float>.Zero), Vector256<float>.One, e) / (Vector256<float>.One + e);
            (s * (sigmoid - Vector256.Create(t[i..]))).CopyTo(dx[i..]);
        }
        for (; i < x.Length; i++)
        {
            float e = MathF.Exp(-MathF.Abs(x[i]));
            float sigmoid = x[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
            dx[i] = scale * (sigmoid - t[i]);
        }
    }
}
