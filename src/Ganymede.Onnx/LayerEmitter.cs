using Ganymede.NN;
using static Ganymede.Onnx.GraphBuilder;

namespace Ganymede.Onnx;

/// <summary>Emits the ONNX nodes of each layer type, in inference semantics. A layer it does not know is an error naming it.</summary>
internal sealed class LayerEmitter(GraphBuilder g, OnnxExportOptions options)
{
    public string Emit(Module module, string x, string name) => module switch
    {
        Sequential s => EmitSequence(s.Layers, x, name),
        DoubleConv d => EmitSequence(d.Layers, x, name),
        UNet u => EmitUNet(u, x, name),
        Conv2d c => Conv(c, x, name, null),
        ConvTranspose2d t => ConvTranspose(t, x, name),
        BatchNorm2d b => BatchNorm(b, x, name),
        ReLU => g.Node("Relu", [x], name),
        LeakyReLU l => g.Node("LeakyRelu", [x], name, Float("alpha", l.negative_slope)),
        Sigmoid => g.Node("Sigmoid", [x], name),
        Tanh => g.Node("Tanh", [x], name),
        Identity or Dropout => x,
        MaxPool2d p => g.Node("MaxPool", [x], name, Ints("kernel_shape", p.kernel_size, p.kernel_size), Ints("strides", p.stride, p.stride),
            Ints("pads", p.padding, p.padding, p.padding, p.padding), Int("ceil_mode", p.ceil_mode ? 1 : 0)),
        AvgPool2d p => g.Node("AveragePool", [x], name, Ints("kernel_shape", p.kernel_size, p.kernel_size), Ints("strides", p.stride, p.stride),
            Ints("pads", p.padding, p.padding, p.padding, p.padding), Int("ceil_mode", p.ceil_mode ? 1 : 0), Int("count_include_pad", 1)),
        Upsample u => Resize(u, x, name),
        Linear l => g.Node("Gemm", l.bias is null ? [x, g.Initializer(name + ".weight", l.weight)] : [x, g.Initializer(name + ".weight", l.weight), g.Initializer(name + ".bias", l.bias)],
            name, Int("transB", 1)),
        _ => throw new NotSupportedException($"ONNX export: module '{name}' of type {module.GetType().Name} has no ONNX equivalent here"),
    };

    private string EmitSequence(IReadOnlyList<Module> s, string x, string name)
    {
        for (int i = 0; i < s.Count; i++)
        {
            // Conv followed by BatchNorm becomes one Conv with adjusted weights (what inference runtimes do anyway).
            if (options.FoldBatchNorm && s[i] is Conv2d conv && i + 1 < s.Count && s[i + 1] is BatchNorm2d bn)
            {
                x = Conv(conv, x, $"{name}.{i}", bn);
                i++;
                continue;
            }
            x = Emit(s[i], x, $"{name}.{i}");
        }
        return x;
    }

    /// <summary>Mirrors <see cref="UNet.forward"/>: encoder blocks and pools, bottleneck, upsample + concat [up, skip] + block, head.</summary>
    private string EmitUNet(UNet u, string x, string name)
    {
        var children = u.named_children().ToDictionary(c => c.name, c => c.module);
        var down = (ModuleList)children["down"];
        var up = (ModuleList)children["up"];
        var dec = (ModuleList)children["dec"];
        var skips = new List<string>();
        for (int i = 0; i < down.Count; i++)
        {
            x = Emit(down[i], x, $"down.{i}");
            skips.Add(x);
            x = g.Node("MaxPool", [x], $"pool.{i}", Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        }
        x = Emit(children["bottleneck"], x, "bottleneck");
        for (int i = 0; i < up.Count; i++)
        {
            var upsampled = Emit(up[i], x, $"up.{i}");
            x = g.Node("Concat", [upsampled, skips[^(i + 1)]], $"cat.{i}", Int("axis", 1));
            x = Emit(dec[i], x, $"dec.{i}");
        }
        return Emit(children["head"], x, "head");
    }

    private string Conv(Conv2d c, string x, string name, BatchNorm2d? fold)
    {
        var weight = c.weight.ToArray();
        var bias = c.bias?.ToArray();
        if (fold is not null)
        {
            // W' = W·γ/√(σ² + ε) per output channel; b' = (b − μ)·γ/√(σ² + ε) + β.
            var gamma = fold.weight?.ToArray() ?? Enumerable.Repeat(1f, c.out_channels).ToArray();
            var beta = fold.bias?.ToArray() ?? new float[c.out_channels];
            var mean = fold.running_mean.ToArray();
            var variance = fold.running_var.ToArray();
            int perChannel = weight.Length / c.out_channels;
            bias ??= new float[c.out_channels];
            for (int k = 0; k < c.out_channels; k++)
            {
                float scale = gamma[k] / MathF.Sqrt(variance[k] + fold.eps);
                for (int j = 0; j < perChannel; j++) weight[k * perChannel + j] *= scale;
                bias[k] = (bias[k] - mean[k]) * scale + beta[k];
            }
        }
        var inputs = new List<string> { x, g.Initializer(name + ".weight", weight, c.weight.shape.Select(d => (long)d).ToArray()) };
        if (bias is not null) inputs.Add(g.Initializer(name + ".bias", bias, [c.out_channels]));
        return g.Node("Conv", [.. inputs], name, Ints("kernel_shape", c.kernel_size, c.kernel_size), Ints("strides", c.stride, c.stride),
            Ints("pads", c.padding, c.padding, c.padding, c.padding), Ints("dilations", c.dilation, c.dilation), Int("group", c.groups));
    }

    private string ConvTranspose(ConvTranspose2d t, string x, string name)
    {
        var inputs = new List<string> { x, g.Initializer(name + ".weight", t.weight) };
        if (t.bias is not null) inputs.Add(g.Initializer(name + ".bias", t.bias));
        return g.Node("ConvTranspose", [.. inputs], name, Ints("kernel_shape", t.kernel_size, t.kernel_size), Ints("strides", t.stride, t.stride),
            Ints("pads", t.padding, t.padding, t.padding, t.padding), Ints("output_padding", t.output_padding, t.output_padding),
            Ints("dilations", t.dilation, t.dilation), Int("group", t.groups));
    }

    private string BatchNorm(BatchNorm2d b, string x, string name)
    {
        var scale = b.weight is null ? g.Initializer(name + ".weight", Enumerable.Repeat(1f, b.num_features).ToArray(), [b.num_features]) : g.Initializer(name + ".weight", b.weight);
        var shift = b.bias is null ? g.Initializer(name + ".bias", new float[b.num_features], [b.num_features]) : g.Initializer(name + ".bias", b.bias);
        return g.Node("BatchNormalization", [x, scale, shift, g.Initializer(name + ".running_mean", b.running_mean), g.Initializer(name + ".running_var", b.running_var)],
            name, Float("epsilon", b.eps));
    }

    /// <summary>Resize with scales (opset 13+): nearest as PyTorch's (asymmetric, floor), linear as align_corners=False (half_pixel).</summary>
    private string Resize(Upsample u, string x, string name)
    {
        var scales = g.Initializer(name + ".scales", [1, 1, u.scale_factor, u.scale_factor], [4]);
        return u.mode == "nearest"
            ? g.Node("Resize", [x, "", scales], name, String("mode", "nearest"), String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "floor"))
            : g.Node("Resize", [x, "", scales], name, String("mode", "linear"), String("coordinate_transformation_mode", "half_pixel"));
    }
}
