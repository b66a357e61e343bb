using System.Runtime.Intrinsics;
using Ganymede.Backends;

namespace Ganymede.Ops;

/// <summary>Per-channel bias addition and sums over [N, C, H, W], in either layout.</summary>
internal static class ChannelOps
{
    /// <summary>y[:, c] += bias[c], in place on a freshly made output.</summary>
    public static void AddBias(Tensor y, float[] bias, bool blocked)
    {
        int n = y.size(0), c = y.size(1), hw = y.size(2) * y.size(3);
        if (blocked)
        {
            var data = y.Blocked;
            int blocks = c / BlockedLayout.Block;
            Backend.Current.For(n * blocks, nb =>
            {
                var b = Vector512.Create(bias.AsSpan(nb % blocks * BlockedLayout.Block, BlockedLayout.Block));
                var plane = data.AsSpan(nb * hw * BlockedLayout.Block, hw * BlockedLayout.Block);
                for (int p = 0; p < plane.Length; p += BlockedLayout.Block)
                    (Vector512.Create((ReadOnlySpan<float>)plane.Slice(p, BlockedLayout.Block)) + b).CopyTo(plane.Slice(p, BlockedLayout.Block));
            });
            return;
        }
        var flat = y.Floats;
        int offset = (int)y.Offset;
        Backend.Current.For(n * c, plane => VectorMath.ScaleShift(flat.AsSpan(offset + plane * hw, hw), flat.AsSpan(offset + plane * hw, hw), 1f, bias[plane % c]));
    }

    /// <summary>Σ over N, H, W for each channel (the gradient of a per-channel bias).</summary>
    public static float[] Sum(Tensor t, bool blocked)
    {
        int n = t.size(0), c = t.size(1), hw = t.size(2) * t.size(3);
        var sums = new float[c];
        if (blocked)
        {
            var data = t.Blocked;
            int blocks = c / BlockedLayout.Block;
            Backend.Current.For(blocks, cb =>
            {
                var acc = Vector512<float>.Zero;
                for (int b = 0; b < n; b++)
                {
                    var plane = data.AsSpan((b * blocks + cb) * hw * BlockedLayout.Block, hw * BlockedLayout.Block);
                    for (int p = 0; p < plane.Length; p += BlockedLayout.Block) acc += Vector512.Create((ReadOnlySpan<float>)plane.Slice(p, BlockedLayout.Block));
                }
                acc.CopyTo(sums.AsSpan(cb * BlockedLayout.Block, BlockedLayout.Block));
            });
            return sums;
        }
        var plain = t.contiguous();
        var flat = plain.Floats;
        int offset = (int)plain.Offset;
        Backend.Current.For(c, ch =>
        {
            double s = 0;
            for (int b = 0; b < n; b++) s += VectorMath.Sum(flat.AsSpan(offset + (b * c + ch) * hw, hw));
            sums[ch] = (float)s;
        });
        return sums;
    }
}
