using System.Runtime.InteropServices;
using Ganymede.Ops;

namespace Ganymede.Backends;

/// <summary>Batch norm, max pooling and leaky ReLU in managed code, plain layout only.</summary>
public sealed partial class ReferenceBackend
{
    /// <summary>The workspace is one byte per element: 1 where the fused ReLU let the value through.</summary>
    public int BatchNormWorkspaceBytes(in NormGeometry g) => g.Relu && g.Training ? (int)g.Size : 0;

    public void BatchNormForward(in NormGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        Span<float> mean, Span<float> variance, Span<float> y, Span<byte> workspace)
    {
        CheckPlain(g.Blocked);
        int hw = g.H * g.W;
        long m = (long)g.N * hw;
        if (g.Training)
        {
            var sums = BatchNormKernels.ChannelSums(x, g.N, g.C, hw);
            for (int c = 0; c < g.C; c++) mean[c] = (float)(sums[c] / m);
            var squares = BatchNormKernels.ChannelSums(x, g.N, g.C, hw, mean);
            for (int c = 0; c < g.C; c++) variance[c] = (float)(squares[c] / m);
        }
        var p = new float[g.C];
        var r = new float[g.C];
        for (int c = 0; c < g.C; c++)
        {
            p[c] = scale[c] / MathF.Sqrt(variance[c] + g.Eps);
            r[c] = shift[c] - mean[c] * p[c];
        }
        BatchNormKernels.Affine(x, default, y, p, p, r, g.N, g.C, hw);
        if (!g.Relu) return;
        for (int i = 0; i < y.Length; i++)
        {
            bool positive = y[i] > 0;
            if (!positive) y[i] = 0;
            if (!workspace.IsEmpty) workspace[i] = positive ? (byte)1 : (byte)0;
        }
    }

    public void BatchNormBackward(in NormGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, ReadOnlySpan<byte> workspace, Span<float> dx, Span<float> dscale, Span<float> dshift)
    {
        CheckPlain(g.Blocked);
        if (g.Relu)
        {
            // The ReLU's backward first: the gradient passes only where the forward output was positive.
            var masked = new float[dy.Length];
            for (int i = 0; i < masked.Length; i++) masked[i] = workspace[i] != 0 ? dy[i] : 0;
            dy = masked;
        }
        int hw = g.H * g.W;
        long m = (long)g.N * hw;
        var sumDy = BatchNormKernels.ChannelSums(dy, g.N, g.C, hw);
        var sumDyCentred = BatchNormKernels.ChannelDots(dy, x, mean, g.N, g.C, hw);
        var p = new float[g.C];
        var q = new float[g.C];
        var r = new float[g.C];
        for (int c = 0; c < g.C; c++)
        {
            float invStd = 1 / MathF.Sqrt(variance[c] + g.Eps);
            dshift[c] = (float)sumDy[c];
            dscale[c] = (float)(sumDyCentred[c] * invStd);
            // Training: dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) with x̂ = (x − μ)·invStd, as dy·p + x·q + r.
            p[c] = scale[c] * invStd;
            float a = g.Training ? (float)(sumDy[c] / m) : 0, b = g.Training ? dscale[c] / m : 0;
            q[c] = -p[c] * b * invStd;
            r[c] = -p[c] * a - q[c] * mean[c];
        }
        BatchNormKernels.Affine(dy, x, dx, p, q, r, g.N, g.C, hw);
    }

    /// <summary>The workspace is the flat input index that won each output window (int32).</summary>
    public int MaxPoolWorkspaceBytes(in PoolGeometry g) => g.Planes * g.OH * g.OW * sizeof(int);

    public void MaxPool2dForward(in PoolGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<byte> workspace)
    {
        CheckPlain(g.Blocked);
        var argmax = MemoryMarshal.Cast<byte, int>(workspace);
        for (int plane = 0; plane < g.Planes; plane++)
            for (int p = 0; p < g.OH; p++)
                for (int q = 0; q < g.OW; q++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int i = 0; i < g.KH; i++)
                    {
                        int h = p * g.SH - g.PH + i;
                        if (h < 0 || h >= g.H) continue;
                        for (int j = 0; j < g.KW; j++)
                        {
                            int w = q * g.SW - g.PW + j;
                            if (w < 0 || w >= g.W) continue;
                            float v = x[(plane * g.H + h) * g.W + w];
                            if (bestIndex < 0 || v > best || float.IsNaN(v)) { best = v; bestIndex = h * g.W + w; }
                        }
                    }
                    y[(plane * g.OH + p) * g.OW + q] = best;
                    argmax[(plane * g.OH + p) * g.OW + q] = bestIndex;
                }
    }

    public void MaxPool2dBackward(in PoolGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<byte> workspace, Span<float> dx)
    {
        CheckPlain(g.Blocked);
        var argmax = MemoryMarshal.Cast<byte, int>(workspace);
        dx.Clear();
        int outPlane = g.OH * g.OW, inPlane = g.H * g.W;
        for (int i = 0; i < argmax.Length; i++) dx[i / outPlane * inPlane + argmax[i]] += dy[i];
    }

    /// <summary>Per image, the slice is one run of the whole in either layout (whole channel blocks in the blocked one).</summary>
    public void CopyChannelSlice(in ChannelSlice s, ReadOnlySpan<float> from, Span<float> to, bool intoWhole)
    {
        int part = s.PartLength, whole = s.WholeLength, at = s.Offset * s.H * s.W;
        for (int b = 0; b < s.N; b++)
        {
            var source = intoWhole ? from.Slice(b * part, part) : from.Slice(b * whole + at, part);
            source.CopyTo(intoWhole ? to.Slice(b * whole + at, part) : to.Slice(b * part, part));
        }
    }

    public void LeakyReluForward(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];
    }

    public void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float slope)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : slope * dy[i];
    }

    private static void CheckPlain(bool blocked)
    {
        if (blocked) throw new ArgumentException("the reference backend works on plain NCHW buffers only");
    }
}
