using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>Inverted dropout: zeroes elements with probability p and scales the rest by 1/(1-p), in one pass.</summary>
internal static class Dropout
{
    public static Tensor Apply(Tensor input, float p, bool training, Generator? generator)
    {
        Binary.CheckFloat("dropout", input);
        if (p < 0 || p > 1) throw new ArgumentException($"dropout: probability must be between 0 and 1, got {p}");
        if (!training || p == 0) return input;
        var gen = generator ?? torch.default_generator;
        var x = input.contiguous();
        var mask = Tensor.Empty(input.shape, clear: false);
        var y = Tensor.Empty(input.shape, clear: false);
        var ms = mask.Span;
        var xs = x.Span;
        var ys = y.Span;
        float scale = p == 1 ? 0 : 1 / (1 - p);
        for (int i = 0; i < ys.Length; i++)
        {
            ms[i] = gen.NextFloat() >= p ? scale : 0;
            ys[i] = xs[i] * ms[i];
        }
        return AutogradEngine.Record(y, "dropout", [input], g => [g.mul(mask)]);
    }
}
