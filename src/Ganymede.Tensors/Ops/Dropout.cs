using Ganymede.Autograd;
using Ganymede.Backends;

namespace Ganymede.Ops;

/// <summary>
/// Inverted dropout: zeroes elements with probability p and scales the rest by 1/(1-p), mask and output in
/// one pass. Elementwise, so a blocked input keeps its layout (the mask shares it).
/// </summary>
internal static class Dropout
{
    private const int Chunk = 1 << 16;

    private static (float[] Data, int Offset) Raw(Tensor t, bool blocked)
    {
        if (blocked) return (t.Blocked, 0);
        var plain = t.contiguous();
        return (plain.Floats, (int)plain.Offset);
    }

    public static Tensor Apply(Tensor input, float p, bool training, Generator? generator)
    {
        Binary.CheckFloat("dropout", input);
        if (p < 0 || p > 1) throw new ArgumentException($"dropout: probability must be between 0 and 1, got {p}");
        if (!training || p == 0) return input;
        using var profile = Profiler.Scope("dropout");
        var gen = generator ?? torch.default_generator;
        bool blocked = BlockedLayout.Prefer(input);
        var mask = BlockedLayout.Empty(input.shape, blocked);
        var y = BlockedLayout.Empty(input.shape, blocked);
        var (xs, xo) = Raw(input, blocked);
        var ms = blocked ? mask.Blocked : mask.Floats;
        var ys = blocked ? y.Blocked : y.Floats;
        float scale = p == 1 ? 0 : 1 / (1 - p);
        // Fixed-size chunks, each with its own generator seeded in order from the caller's: the same seed gives
        // the same mask whatever the core count, and the chunks run in parallel.
        int length = (int)input.numel(), chunks = (length + Chunk - 1) / Chunk;
        var seeds = Enumerable.Range(0, chunks).Select(_ => gen.NextUInt64()).ToArray();
        uint threshold = (uint)Math.Min(p * (1 << 24), 1 << 24);
        Backend.Current.For(chunks, c =>
        {
            var local = new Generator(seeds[c]);
            int end = Math.Min(length, (c + 1) * Chunk);
            for (int i = c * Chunk; i < end; i += 2)
            {
                // Two 24-bit uniforms from one 64-bit draw.
                ulong bits = local.NextUInt64();
                float m0 = (uint)(bits >> 40) >= threshold ? scale : 0;
                ms[i] = m0;
                ys[i] = xs[xo + i] * m0;
                if (i + 1 >= end) break;
                float m1 = (uint)((bits >> 16) & 0xFFFFFF) >= threshold ? scale : 0;
                ms[i + 1] = m1;
                ys[i + 1] = xs[xo + i + 1] * m1;
            }
        });
        return AutogradEngine.Record(y, "dropout", [input], g => [g.mul(mask)]);
    }
}
