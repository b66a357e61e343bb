using System.Buffers;
using System.Runtime.Intrinsics;
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

    private static ArraySegment<float> Raw(Tensor t, bool blocked)
    {
        if (blocked) return t.Blocked;
        var plain = t.contiguous();
        return new ArraySegment<float>(plain.Floats, (int)plain.Offset, (int)plain.numel());
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
        var (xs, ms, ys) = (Raw(input, blocked), Raw(mask, blocked), Raw(y, blocked));
        float scale = p == 1 ? 0 : 1 / (1 - p);
        // Fixed-size chunks, each with its own generator seeded in order from the caller's: the same seed gives the
        // same mask however the backend spreads the chunks over the cores.
        int length = (int)input.numel(), chunks = (length + Chunk - 1) / Chunk;
        var seeds = Enumerable.Range(0, chunks).Select(_ => gen.NextUInt64()).ToArray();
        uint threshold = (uint)Math.Min(p * (1 << 24), 1 << 24);
        Backend.Current.For(chunks, c =>
        {
            int start = c * Chunk, count = Math.Min(length, start + Chunk) - start;
            // Two 24-bit uniforms from each 64-bit draw; the chunk's draws are taken at once (one lock, not one a draw).
            var draws = ArrayPool<ulong>.Shared.Rent((count + 1) / 2);
            new Generator(seeds[c]).FillBits(draws.AsSpan(0, (count + 1) / 2));
            var x = xs.AsSpan(start, count);
            var m = ms.AsSpan(start, count);
            var o = ys.AsSpan(start, count);
            // Eight elements a vector: each 64-bit draw gives its two uniforms as two 32-bit lanes, in element order.
            var limit = Vector256.Create(threshold);
            var scaleBits = Vector256.Create(BitConverter.SingleToUInt32Bits(scale));
            var low24 = Vector256.Create(0xFFFFFFUL);
            int i = 0;
            for (; i + Vector256<float>.Count <= count; i += Vector256<float>.Count)
            {
                var d = Vector256.Create((ReadOnlySpan<ulong>)draws.AsSpan(i / 2, Vector256<ulong>.Count));
                var uniforms = ((d >> 40) | (((d >> 16) & low24) << 32)).AsUInt32();
                var keep = (Vector256.GreaterThanOrEqual(uniforms, limit) & scaleBits).AsSingle();
                keep.CopyTo(m[i..]);
                (Vector256.Create((ReadOnlySpan<float>)x[i..]) * keep).CopyTo(o[i..]);
            }
            for (; i < count; i++)
            {
                ulong bits = draws[i >> 1];
                uint uniform = (i & 1) == 0 ? (uint)(bits >> 40) : (uint)((bits >> 16) & 0xFFFFFF);
                float keep = uniform >= threshold ? scale : 0;
                m[i] = keep;
                o[i] = x[i] * keep;
            }
            ArrayPool<ulong>.Shared.Return(draws);
        });
        return AutogradEngine.Record(y, "dropout", [input], g => [g.mul(mask)]);
    }
}
