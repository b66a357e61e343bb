using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>
/// Losses computed in one pass over their inputs, forward and backward side by side. Scalar MathF.Exp and Log: the
/// vector ones of .NET 10 measured several times slower here.
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
        for (int i = 0; i < x.Length; i++)
            sum += (1 - t[i]) * x[i] + MathF.Log(1 + MathF.Exp(-MathF.Abs(x[i]))) + MathF.Max(-x[i], 0);
        return sum;
    }

    /// <summary>scale·(sigmoid(x) − t), with sigmoid from e^−|x| (no overflow either side).</summary>
    private static void InputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> t, float scale, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float e = MathF.Exp(-MathF.Abs(x[i]));
            float sigmoid = x[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
            dx[i] = scale * (sigmoid - t[i]);
        }
    }
}
