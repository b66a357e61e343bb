namespace Ganymede.Onnx.Runtime;

/// <summary>Convolutions, pooling, batch norm, padding and resizing over [N, C, H, W].</summary>
internal static partial class Operators
{
    /// <summary>ONNX pads [top, left, bottom, right] for a 2-D window, from explicit pads or auto_pad.</summary>
    private static long[] Pads(NodeContext c, Tensor x, long[] kernel, long[] strides, long[] dilations)
    {
        string auto = c.String("auto_pad", "NOTSET");
        if (auto is "NOTSET") return c.Ints("pads") ?? [0, 0, 0, 0];
        if (auto is "VALID") return [0, 0, 0, 0];
        var pads = new long[4];
        for (int i = 0; i < 2; i++)
        {
            long size = x.size(2 + i), output = (size + strides[i] - 1) / strides[i];
            long total = Math.Max(0, (output - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
            long small = total / 2, large = total - small;
            (pads[i], pads[i + 2]) = auto == "SAME_UPPER" ? (small, large) : (large, small);
        }
        return pads;
    }

    /// <summary>Symmetric pads go to the operator (when it takes them); others become an explicit pad first.</summary>
    private static (Tensor X, int PadH, int PadW) Padded(Tensor x, long[] p, float value, bool operatorPads = true)
    {
        if (p.All(v => v == 0)) return (x, 0, 0);
        if (operatorPads && p[0] == p[2] && p[1] == p[3]) return (x, (int)p[0], (int)p[1]);
        return (F.pad(x, [(int)p[1], (int)p[3], (int)p[0], (int)p[2]], value), 0, 0);
    }

    private static long[] KernelShape(NodeContext c, Tensor? weight) =>
        c.Ints("kernel_shape") ?? (weight is null ? throw c.Error("kernel_shape is required") : [weight.size(2), weight.size(3)]);

    private static Tensor[] Conv(NodeContext c)
    {
        var x = c.Input(0);
        var w = c.Input(1);
        var strides = c.Ints("strides") ?? [1, 1];
        var dilations = c.Ints("dilations") ?? [1, 1];
        var (padded, ph, pw) = Padded(x, Pads(c, x, KernelShape(c, w), strides, dilations), 0);
        return [F.conv2d(padded, w, c.Optional(2), ((int)strides[0], (int)strides[1]), (ph, pw), ((int)dilations[0], (int)dilations[1]), (int)c.Int("group", 1))];
    }

    private static Tensor[] ConvTranspose(NodeContext c)
    {
        var strides = c.Ints("strides") ?? [1, 1];
        var pads = c.Ints("pads") ?? [0, 0, 0, 0];
        var outputPadding = c.Ints("output_padding") ?? [0, 0];
        var dilations = c.Ints("dilations") ?? [1, 1];
        return [F.conv_transpose2d(c.Input(0), c.Input(1), c.Optional(2), (int)strides[0], (int)pads[0], (int)outputPadding[0], (int)c.Int("group", 1), (int)dilations[0])];
    }

    private static Tensor[] BatchNormalization(NodeContext c) =>
        [F.batch_norm(c.Input(0), c.Input(3), c.Input(4), c.Input(1), c.Input(2), training: false, eps: c.Float("epsilon", 1e-5f))];

    private static Tensor[] MaxPool(NodeContext c)
    {
        var x = c.Input(0);
        var kernel = KernelShape(c, null);
        var strides = c.Ints("strides") ?? [1, 1];
        // Padding is explicit (−∞ never wins a max), so any amount works, as ONNX allows.
        var (padded, ph, pw) = Padded(x, Pads(c, x, kernel, strides, [1, 1]), float.NegativeInfinity, operatorPads: false);
        return [Pool(c, padded, kernel, strides, ph, pw, max: true)];
    }

    private static Tensor[] AveragePool(NodeContext c)
    {
        var x = c.Input(0);
        var kernel = KernelShape(c, null);
        var strides = c.Ints("strides") ?? [1, 1];
        // Explicit zero padding counted in every window: count_include_pad=1 (OperatorSupport refuses 0 with padding).
        var (padded, ph, pw) = Padded(x, Pads(c, x, kernel, strides, [1, 1]), 0, operatorPads: false);
        return [Pool(c, padded, kernel, strides, ph, pw, max: false)];
    }

    private static Tensor Pool(NodeContext c, Tensor x, long[] kernel, long[] strides, int ph, int pw, bool max)
    {
        if (kernel[0] != kernel[1] || strides[0] != strides[1] || ph != pw) throw c.Error("only square windows, strides and pads are supported");
        bool ceil = c.Int("ceil_mode", 0) != 0;
        return max
            ? F.max_pool2d(x, (int)kernel[0], (int)strides[0], ph, ceil)
            : F.avg_pool2d(x, (int)kernel[0], (int)strides[0], ph, ceil);
    }

    private static Tensor[] Pad(NodeContext c)
    {
        var x = c.Input(0);
        var pads = c.Opset >= 11 ? c.Longs(1) ?? [] : c.Ints("pads") ?? [];
        float value = c.Opset >= 11 ? c.Floats(2)?[0] ?? 0 : c.Float("value", 0);
        int rank = x.dim();
        if (pads.Length != 2 * rank) throw c.Error($"{pads.Length} pads for a tensor of rank {rank}");
        // ONNX lists all begins then all ends; the engine takes (begin, end) pairs from the last dimension back.
        var pairs = new List<int>();
        for (int d = rank - 1; d >= 0; d--) pairs.AddRange([(int)pads[d], (int)pads[d + rank]]);
        return [F.pad(x, [.. pairs], value)];
    }

    /// <summary>Resize (opset 10+) and Upsample: nearest as asymmetric + floor, linear as half_pixel or align_corners, scales on H and W only.</summary>
    private static Tensor[] Resize(NodeContext c)
    {
        var x = c.Input(0);
        float[]? scales = c.Node.OpType == "Upsample"
            ? c.Opset >= 9 ? c.Floats(1) : c.Node.Attribute.FirstOrDefault(a => a.Name == "scales")?.Floats.ToArray()
            : c.Opset >= 11 ? c.Floats(2) : c.Floats(1);
        var sizes = c.Node.OpType == "Resize" && c.Opset >= 11 ? c.Longs(3) : null;
        int h, w;
        if (sizes is not null) (h, w) = ((int)sizes[2], (int)sizes[3]);
        else if (scales is { Length: 4 }) (h, w) = ((int)MathF.Floor(x.size(2) * scales[2]), (int)MathF.Floor(x.size(3) * scales[3]));
        else throw c.Error("needs scales or sizes for all four dimensions");
        string mode = c.String("mode", "nearest");
        string transform = c.String("coordinate_transformation_mode", c.Node.OpType == "Upsample" ? "asymmetric" : "half_pixel");
        // With scales, ONNX maps coordinates by the scale itself; the engine maps by the size ratio. They agree when the scaled size is whole.
        if (sizes is null && (x.size(2) * scales![2] != h || x.size(3) * scales[3] != w))
            throw c.Error($"scales ({scales[2]}, {scales[3]}) do not give whole output sizes for input [{string.Join(", ", x.shape)}]");
        return [F.interpolate(x, (h, w), mode == "nearest" ? "nearest" : "bilinear", align_corners: transform == "align_corners")];
    }
}
