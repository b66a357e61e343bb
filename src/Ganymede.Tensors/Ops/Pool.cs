using Ganymede.Autograd;
using Ganymede.Backends;

namespace Ganymede.Ops;

/// <summary>max_pool2d and avg_pool2d: managed kernels, parallel over [N, C] planes (they are bandwidth-bound).</summary>
internal static class Pool
{
    private static PoolGeometry Check(string op, Tensor x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool ceilMode)
    {
        Binary.CheckFloat(op, x);
        if (x.dim() != 4) throw new ShapeException($"{op}: expects a 4-D input [N, C, H, W], got {Shape.Format(x.Shape_)}");
        if (kernel.H <= 0 || kernel.W <= 0 || stride.H <= 0 || stride.W <= 0 || padding.H < 0 || padding.W < 0)
            throw new ShapeException($"{op}: kernel {kernel} and stride {stride} must be positive and padding {padding} non-negative");
        if (padding.H * 2 > kernel.H || padding.W * 2 > kernel.W)
            throw new ShapeException($"{op}: padding {padding} must be at most half the kernel {kernel}");
        int h = x.size(2), w = x.size(3);
        int oh = OutSize(h, kernel.H, stride.H, padding.H, ceilMode), ow = OutSize(w, kernel.W, stride.W, padding.W, ceilMode);
        if (oh <= 0 || ow <= 0) throw new ShapeException($"{op}: input {Shape.Format(x.Shape_)} is smaller than kernel {kernel}");
        return new PoolGeometry(x.size(0), x.size(1), h, w, kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W, oh, ow, Blocked: false);
    }

    private static int OutSize(int size, int k, int s, int p, bool ceil)
    {
        int span = size + 2 * p - k;
        if (span < 0) return 0;
        int o = (ceil ? (span + s - 1) / s : span / s) + 1;
        // PyTorch: the last window must start inside the input or the left padding.
        if (ceil && (o - 1) * s >= size + p) o--;
        return o;
    }

    public static Tensor MaxPool2d(Tensor input, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool ceilMode)
    {
        using var profile = Profiler.Scope("max_pool2d");
        var backend = Backend.Current;
        var g = Check("max_pool2d", input, kernel, stride, padding, ceilMode);
        bool blocked = backend.PrefersBlocked(g.C) && BlockedLayout.Prefer(input);
        g = g with { Blocked = blocked };
        var y = BlockedLayout.Empty([g.N, g.C, g.OH, g.OW], blocked);
        // The workspace lives in a tensor so its memory comes from (and returns to) the pool with the step's other tensors.
        var workspace = Tensor.Empty([backend.MaxPoolWorkspaceBytes(g)], DType.UInt8, clear: false);
        backend.MaxPool2dForward(g, BlockedLayout.Data(input, blocked), BlockedLayout.Data(y, blocked), workspace.Storage.Bytes);
        Tracing.OpTrace.Record("max_pool2d", [input], y, ("kernel", kernel), ("stride", stride), ("padding", padding), ("ceil_mode", ceilMode));
        return AutogradEngine.Record(y, "max_pool2d", [input], dy =>
        {
            var dx = BlockedLayout.Empty(input.shape, blocked);
            backend.MaxPool2dBackward(g, BlockedLayout.Data(dy, blocked), workspace.Storage.Bytes, BlockedLayout.Data(dx, blocked));
            return [dx];
        });
    }

    /// <summary>Average pooling; padded positions count in the divisor (PyTorch's count_include_pad=True).</summary>
    public static Tensor AvgPool2d(Tensor input, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool ceilMode)
    {
        var g = Check("avg_pool2d", input, kernel, stride, padding, ceilMode);
        var x = input.contiguous();
        var y = Tensor.Empty([g.N, g.C, g.OH, g.OW], clear: false);
        var xs = x.Floats;
        var ys = y.Floats;
        long xOff = x.Offset;
        Parallel.For(0, g.Planes, plane =>
        {
            long inBase = xOff + (long)plane * g.H * g.W;
            int outBase = plane * g.OH * g.OW;
            for (int p = 0; p < g.OH; p++)
                for (int q = 0; q < g.OW; q++)
                {
                    float sum = 0;
                    for (int i = 0; i < g.KH; i++)
                    {
                        int hh = p * g.SH - g.PH + i;
                        if (hh < 0 || hh >= g.H) continue;
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ww = q * g.SW - g.PW + j;
                            if (ww >= 0 && ww < g.W) sum += xs[inBase + hh * g.W + ww];
                        }
                    }
                    ys[outBase + p * g.OW + q] = sum / Divisor(g, p, q);
                }
        });
        Tracing.OpTrace.Record("avg_pool2d", [input], y, ("kernel", kernel), ("stride", stride), ("padding", padding), ("ceil_mode", ceilMode));
        return AutogradEngine.Record(y, "avg_pool2d", [input], dy =>
        {
            var d = dy.contiguous().Span;
            var dx = torch.zeros(input.shape);
            var dxs = dx.Span;
            for (int plane = 0; plane < g.Planes; plane++)
                for (int p = 0; p < g.OH; p++)
                    for (int q = 0; q < g.OW; q++)
                    {
                        float share = d[(plane * g.OH + p) * g.OW + q] / Divisor(g, p, q);
                        for (int i = 0; i < g.KH; i++)
                        {
                            int hh = p * g.SH - g.PH + i;
                            if (hh < 0 || hh >= g.H) continue;
                            for (int j = 0; j < g.KW; j++)
                            {
                                int ww = q * g.SW - g.PW + j;
                                if (ww >= 0 && ww < g.W) dxs[(plane * g.H + hh) * g.W + ww] += share;
                            }
                        }
                    }
            return [dx];
        });
    }

    /// <summary>The window's size clipped to input plus padding (what PyTorch divides by with ceil_mode windows).</summary>
    private static int Divisor(PoolGeometry g, int p, int q)
    {
        int h0 = p * g.SH - g.PH, w0 = q * g.SW - g.PW;
        int h1 = Math.Min(h0 + g.KH, g.H + g.PH), w1 = Math.Min(w0 + g.KW, g.W + g.PW);
        return (h1 - h0) * (w1 - w0);
    }
}
