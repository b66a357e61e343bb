using Ganymede.Native;

namespace Ganymede.Ops;

/// <summary>
/// Batch normalisation's passes over plain [N, C, HW] buffers, vectorised and parallel over channels
/// (statistics) or planes (elementwise). Per-channel statistics are sums; the elementwise passes are
/// per-channel affine maps (y = x·scale + shift, dx = dy·p + x·q + r).
/// </summary>
internal static unsafe class BatchNormKernels
{
    /// <summary>Σx per channel, or Σ(x − centre)² when <paramref name="centre"/> is given.</summary>
    public static double[] ChannelSums(ReadOnlySpan<float> x, int n, int c, int hw, ReadOnlySpan<float> centre = default)
    {
        NativeChecks.Require("batch norm input", x.Length, (long)n * c * hw);
        if (!centre.IsEmpty) NativeChecks.Require("batch norm centre", centre.Length, c);
        var sums = new double[c];
        var mu = centre.ToArray();
        // Spans cannot enter the parallel lambda; the address, pinned until the loop ends, can.
        fixed (float* px = x)
        {
            var data = px;
            Parallel.For(0, c, ch =>
            {
                double s = 0;
                for (int b = 0; b < n; b++)
                {
                    var plane = new ReadOnlySpan<float>(data + (long)(b * c + ch) * hw, hw);
                    s += mu.Length == 0 ? VectorMath.Sum(plane) : VectorMath.SumSquaredDeviation(plane, mu[ch]);
                }
                sums[ch] = s;
            });
        }
        return sums;
    }

    /// <summary>Σ dy·(x − mean) per channel.</summary>
    public static double[] ChannelDots(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> mean, int n, int c, int hw)
    {
        NativeChecks.Require("batch norm gradient", dy.Length, (long)n * c * hw);
        NativeChecks.Require("batch norm input", x.Length, (long)n * c * hw);
        NativeChecks.Require("batch norm mean", mean.Length, c);
        var sums = new double[c];
        var mu = mean.ToArray();
        fixed (float* pg = dy)
        fixed (float* pv = x)
        {
            var g = pg;
            var v = pv;
            Parallel.For(0, c, ch =>
            {
                double s = 0;
                for (int b = 0; b < n; b++)
                {
                    long at = (long)(b * c + ch) * hw;
                    s += VectorMath.DotCentred(new ReadOnlySpan<float>(g + at, hw), new ReadOnlySpan<float>(v + at, hw), mu[ch]);
                }
                sums[ch] = s;
            });
        }
        return sums;
    }

    /// <summary>output = a·p[c] + b·q[c] + r[c] per channel (b empty: output = a·p[c] + r[c]).</summary>
    public static void Affine(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, float[] p, float[] q, float[] r, int n, int c, int hw)
    {
        for (int plane = 0; plane < n * c; plane++)
        {
            int ch = plane % c;
            var src = a.Slice(plane * hw, hw);
            var dst = output.Slice(plane * hw, hw);
            if (b.IsEmpty) VectorMath.ScaleShift(src, dst, p[ch], r[ch]);
            else VectorMath.Combine(src, p[ch], b.Slice(plane * hw, hw), q[ch], r[ch], dst);
        }
    }
}
