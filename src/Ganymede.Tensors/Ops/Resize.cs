using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>pad (constant) and interpolate (nearest, bilinear) over the last two dimensions of [N, C, H, W].</summary>
internal static class Resize
{
    /// <summary>Constant padding in PyTorch's order: (left, right) for the last dimension, then (top, bottom) for the one before.</summary>
    public static Tensor Pad(Tensor input, int[] pad, float value)
    {
        Binary.CheckFloat("pad", input);
        if (pad.Length % 2 != 0 || pad.Length / 2 > input.dim())
            throw new ShapeException($"pad: padding of length {pad.Length} does not fit a tensor of shape {Shape.Format(input.Shape_)}");
        var shape = input.shape;
        var starts = new int[shape.Length];
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int d = shape.Length - 1 - i;
            if (pad[2 * i] < 0 || pad[2 * i + 1] < 0) throw new ShapeException($"pad: negative padding [{string.Join(", ", pad)}] is not supported");
            starts[d] = pad[2 * i];
            shape[d] += pad[2 * i] + pad[2 * i + 1];
        }
        var result = torch.full(shape, value);
        var inner = Region(result, starts, input.Shape_);
        inner.copy_(input);
        Tracing.OpTrace.Record("pad", [input], result, ("pad", pad), ("value", value));
        return AutogradEngine.Record(result, "pad", [input], g => [Region(g, starts, input.Shape_).contiguous()]);
    }

    private static Tensor Region(Tensor t, int[] starts, ReadOnlySpan<int> sizes)
    {
        using (GradMode.NoGrad())
            for (int d = 0; d < starts.Length; d++) t = t.narrow(d, starts[d], sizes[d]);
        return t;
    }

    /// <summary>Resizes H and W to <paramref name="size"/>; bilinear uses align_corners=False, as PyTorch's default.</summary>
    public static Tensor Interpolate(Tensor input, (int H, int W) size, string mode, bool alignCorners)
    {
        Binary.CheckFloat("interpolate", input);
        if (input.dim() != 4) throw new ShapeException($"interpolate: expects [N, C, H, W], got {Shape.Format(input.Shape_)}");
        if (size.H <= 0 || size.W <= 0) throw new ShapeException($"interpolate: output size {size} must be positive");
        int n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
        // Each output row (column) reads from two input rows (columns) with weights; nearest uses one with weight 1.
        var (rows0, rows1, rowW) = Axis(h, size.H, mode, alignCorners);
        var (cols0, cols1, colW) = Axis(w, size.W, mode, alignCorners);
        var x = input.contiguous();
        var xs = x.Span.ToArray();
        var y = Tensor.Empty([n, c, size.H, size.W], clear: false);
        var ys = y.Floats;
        Parallel.For(0, n * c, plane =>
        {
            int ib = plane * h * w, ob = plane * size.H * size.W;
            for (int p = 0; p < size.H; p++)
                for (int q = 0; q < size.W; q++)
                {
                    float a = rowW[p], b = colW[q];
                    ys[ob + p * size.W + q] =
                        (1 - a) * ((1 - b) * xs[ib + rows0[p] * w + cols0[q]] + b * xs[ib + rows0[p] * w + cols1[q]]) +
                        a * ((1 - b) * xs[ib + rows1[p] * w + cols0[q]] + b * xs[ib + rows1[p] * w + cols1[q]]);
                }
        });
        Tracing.OpTrace.Record("interpolate", [input], y, ("size", size), ("mode", mode), ("align_corners", alignCorners));
        return AutogradEngine.Record(y, "interpolate", [input], g =>
        {
            var gs = g.contiguous().Span;
            var dx = torch.zeros(input.shape);
            var ds = dx.Span;
            for (int plane = 0; plane < n * c; plane++)
            {
                int ib = plane * h * w, ob = plane * size.H * size.W;
                for (int p = 0; p < size.H; p++)
                    for (int q = 0; q < size.W; q++)
                    {
                        float v = gs[ob + p * size.W + q], a = rowW[p], b = colW[q];
                        ds[ib + rows0[p] * w + cols0[q]] += v * (1 - a) * (1 - b);
                        ds[ib + rows0[p] * w + cols1[q]] += v * (1 - a) * b;
                        ds[ib + rows1[p] * w + cols0[q]] += v * a * (1 - b);
                        ds[ib + rows1[p] * w + cols1[q]] += v * a * b;
                    }
            }
            return [dx];
        });
    }

    private static (int[] Lo, int[] Hi, float[] Weight) Axis(int inSize, int outSize, string mode, bool alignCorners)
    {
        var lo = new int[outSize];
        var hi = new int[outSize];
        var weight = new float[outSize];
        float scale = (float)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            switch (mode)
            {
                case "nearest":
                    lo[i] = hi[i] = Math.Min((int)MathF.Floor(i * scale), inSize - 1);
                    break;
                case "bilinear":
                    float src = alignCorners
                        ? (outSize > 1 ? i * (float)(inSize - 1) / (outSize - 1) : 0)
                        : Math.Max((i + 0.5f) * scale - 0.5f, 0);
                    lo[i] = Math.Min((int)src, inSize - 1);
                    hi[i] = Math.Min(lo[i] + 1, inSize - 1);
                    weight[i] = src - lo[i];
                    break;
                default:
                    throw new ArgumentException($"interpolate: unsupported mode '{mode}' (expected 'nearest' or 'bilinear')");
            }
        }
        return (lo, hi, weight);
    }
}
