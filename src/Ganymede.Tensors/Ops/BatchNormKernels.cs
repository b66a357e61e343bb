using System.Runtime.Intrinsics;

namespace Ganymede.Ops;

/// <summary>
/// The four passes of batch normalisation over raw buffers, for plain [N, C, HW] and blocked
/// [N, C/16, HW, 16] memory. Per-channel statistics are sums; the elementwise passes are per-channel
/// affine maps (y = x·scale + shift, dx = dy·p + x·q + r), so both layouts share BatchNorm's formulas.
/// </summary>
internal static class BatchNormKernels
{
    private const int B = BlockedLayout.Block;

    /// <summary>Σx per channel, or Σ(x − mean)² when <paramref name="centre"/> is given.</summary>
    public static double[] ChannelSums(float[] x, int offset, int n, int c, int hw, bool blocked, float[]? centre = null)
    {
        var sums = new double[c];
        if (!blocked)
        {
            Parallel.For(0, c, ch =>
            {
                double s = 0;
                for (int b = 0; b < n; b++)
                {
                    var plane = x.AsSpan(offset + (b * c + ch) * hw, hw);
                    s += centre is null ? VectorMath.Sum(plane) : VectorMath.SumSquaredDeviation(plane, centre[ch]);
                }
                sums[ch] = s;
            });
            return sums;
        }
        int blocks = c / B;
        Parallel.For(0, blocks, cb =>
        {
            var mu = centre is null ? Vector512<float>.Zero : Vector512.Create((ReadOnlySpan<float>)centre.AsSpan(cb * B, B));
            var total = new double[B];
            for (int b = 0; b < n; b++)
            {
                var acc = Vector512<float>.Zero;
                var plane = x.AsSpan((b * blocks + cb) * hw * B, hw * B);
                for (int p = 0; p < plane.Length; p += B)
                {
                    var v = Vector512.Create((ReadOnlySpan<float>)plane.Slice(p, B));
                    if (centre is null) acc += v;
                    else
                    {
                        var d = v - mu;
                        acc += d * d;
                    }
                }
                for (int lane = 0; lane < B; lane++) total[lane] += acc[lane];
            }
            total.CopyTo(sums, cb * B);
        });
        return sums;
    }

    /// <summary>Σ dy·(x − mean) per channel.</summary>
    public static double[] ChannelDots(float[] dy, int dyOffset, float[] x, int xOffset, float[] mean, int n, int c, int hw, bool blocked)
    {
        var sums = new double[c];
        if (!blocked)
        {
            Parallel.For(0, c, ch =>
            {
                double s = 0;
                for (int b = 0; b < n; b++)
                    s += VectorMath.DotCentred(dy.AsSpan(dyOffset + (b * c + ch) * hw, hw), x.AsSpan(xOffset + (b * c + ch) * hw, hw), mean[ch]);
                sums[ch] = s;
            });
            return sums;
        }
        int blocks = c / B;
        Parallel.For(0, blocks, cb =>
        {
            var mu = Vector512.Create((ReadOnlySpan<float>)mean.AsSpan(cb * B, B));
            var total = new double[B];
            for (int b = 0; b < n; b++)
            {
                var acc = Vector512<float>.Zero;
                int start = (b * blocks + cb) * hw * B;
                var g = dy.AsSpan(start, hw * B);
                var v = x.AsSpan(start, hw * B);
                for (int p = 0; p < g.Length; p += B)
                    acc += Vector512.Create((ReadOnlySpan<float>)g.Slice(p, B)) * (Vector512.Create((ReadOnlySpan<float>)v.Slice(p, B)) - mu);
                for (int lane = 0; lane < B; lane++) total[lane] += acc[lane];
            }
            total.CopyTo(sums, cb * B);
        });
        return sums;
    }

    /// <summary>output = a·p[c] + b·q[c] + r[c] per channel (b may be null: then q is ignored).</summary>
    public static void Affine(float[] a, int aOffset, float[]? bData, int bOffset, float[] output, float[] p, float[]? q, float[] r,
        int n, int c, int hw, bool blocked)
    {
        if (!blocked)
        {
            Parallel.For(0, n * c, plane =>
            {
                int ch = plane % c;
                var src = a.AsSpan(aOffset + plane * hw, hw);
                var dst = output.AsSpan(plane * hw, hw);
                if (bData is null) VectorMath.ScaleShift(src, dst, p[ch], r[ch]);
                else VectorMath.Combine(src, p[ch], bData.AsSpan(bOffset + plane * hw, hw), q![ch], r[ch], dst);
            });
            return;
        }
        int blocks = c / B;
        Parallel.For(0, n * blocks, nb =>
        {
            int cb = nb % blocks;
            var vp = Vector512.Create((ReadOnlySpan<float>)p.AsSpan(cb * B, B));
            var vq = q is null ? Vector512<float>.Zero : Vector512.Create((ReadOnlySpan<float>)q.AsSpan(cb * B, B));
            var vr = Vector512.Create((ReadOnlySpan<float>)r.AsSpan(cb * B, B));
            int start = nb * hw * B;
            var src = a.AsSpan(start, hw * B);
            var dst = output.AsSpan(start, hw * B);
            if (bData is null)
                for (int i = 0; i < src.Length; i += B)
                    (Vector512.Create((ReadOnlySpan<float>)src.Slice(i, B)) * vp + vr).CopyTo(dst.Slice(i, B));
            else
            {
                var other = bData.AsSpan(start, hw * B);
                for (int i = 0; i < src.Length; i += B)
                    (Vector512.Create((ReadOnlySpan<float>)src.Slice(i, B)) * vp + Vector512.Create((ReadOnlySpan<float>)other.Slice(i, B)) * vq + vr).CopyTo(dst.Slice(i, B));
            }
        });
    }
}
