using Ganymede.Autograd;
using Ganymede.Backends;
using Ganymede.Storage;

namespace Ganymede.Ops;

/// <summary>
/// conv2d and conv_transpose2d. A transposed convolution is a convolution run backwards: its forward
/// is the convolution's backward-data, its backward-data the convolution's forward, so one set of
/// backend primitives serves both.
/// </summary>
internal static class Conv
{
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups)
    {
        Binary.CheckFloat("conv2d", input, weight);
        if (input.dim() != 4 || weight.dim() != 4)
            throw new ShapeException($"conv2d: expects a 4-D input [N, C, H, W] and 4-D weight [K, C/groups, R, S], got input {Shape.Format(input.Shape_)} and weight {Shape.Format(weight.Shape_)}");
        var (n, c, h, w) = (input.size(0), input.size(1), input.size(2), input.size(3));
        var (k, cg, r, s) = (weight.size(0), weight.size(1), weight.size(2), weight.size(3));
        CheckGroups("conv2d", groups, c, k, cg, input, weight);
        CheckPositive("conv2d", stride, dilation, padding);
        var backend = Backend.Current;
        var g = new ConvGeometry(n, c, h, w, k, r, s, stride.H, stride.W, padding.H, padding.W, padding.H, padding.W, dilation.H, dilation.W, groups,
            backend.PrefersBlocked(c), backend.PrefersBlocked(k));
        if (g.OutH <= 0 || g.OutW <= 0)
            throw new ShapeException($"conv2d: input {Shape.Format(input.Shape_)} is too small for kernel {r}x{s} with padding {padding} and dilation {dilation}");
        CheckBias("conv2d", bias, k);

        using var profile = Profiler.Scope("conv2d");
        var wt = weight.contiguous();
        var y = BlockedLayout.Empty([n, k, g.OutH, g.OutW], g.YBlocked);
        // What the backend converts of x for the forward pass (bfloat16), kept for the weights' gradient.
        int converted = GradMode.IsEnabled && weight.RequiresGradFlag ? backend.ConvertedInputLength(g) : 0;
        var convertedX = converted > 0 ? BufferPool.RentAligned<ushort>(converted) : default;
        backend.Conv2dForward(g, BlockedLayout.Data(input, g.XBlocked), wt.Span, bias is null ? default : bias.contiguous().Span, BlockedLayout.Data(y, g.YBlocked), convertedX);
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        Tracing.OpTrace.Record("conv2d", inputs, y, ("stride", stride), ("padding", padding), ("dilation", dilation), ("groups", groups));
        return AutogradEngine.Record(y, "conv2d", inputs, dy =>
        {
            var dx = input.RequiresGradFlag ? BlockedLayout.Empty(input.shape, g.XBlocked) : null;
            bool weights = weight.RequiresGradFlag || bias?.RequiresGradFlag == true;
            var dw = weights ? Tensor.Empty(weight.shape, clear: false) : null;
            var db = weights && bias is not null ? Tensor.Empty([k], clear: false) : null;
            backend.Conv2dBackward(g, weights && convertedX.Count == 0 ? BlockedLayout.Data(input, g.XBlocked) : default, wt.Span, BlockedLayout.Data(dy, g.YBlocked),
                dx is null ? default : BlockedLayout.Data(dx, g.XBlocked), dw is null ? default : dw.Span, db is null ? default : db.Span, convertedX);
            if (convertedX.Count > 0) BufferPool.Return(convertedX.Array!);
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) outputPadding, int groups, (int H, int W) dilation)
    {
        Binary.CheckFloat("conv_transpose2d", input, weight);
        if (input.dim() != 4 || weight.dim() != 4)
            throw new ShapeException($"conv_transpose2d: expects a 4-D input [N, C, H, W] and 4-D weight [C, K/groups, R, S], got input {Shape.Format(input.Shape_)} and weight {Shape.Format(weight.Shape_)}");
        var (n, cin, h, w) = (input.size(0), input.size(1), input.size(2), input.size(3));
        var (wc, coutg, r, s) = (weight.size(0), weight.size(1), weight.size(2), weight.size(3));
        if (wc != cin)
            throw new ShapeException($"conv_transpose2d: weight {Shape.Format(weight.Shape_)} expects {wc} input channels, input {Shape.Format(input.Shape_)} has {cin}");
        CheckPositive("conv_transpose2d", stride, dilation, padding);
        if (groups <= 0 || cin % groups != 0)
            throw new ShapeException($"conv_transpose2d: {cin} input channels are not divisible by groups={groups}");
        if (outputPadding.H < 0 || outputPadding.W < 0 || (outputPadding.H >= stride.H && outputPadding.H >= dilation.H) || (outputPadding.W >= stride.W && outputPadding.W >= dilation.W))
            throw new ShapeException($"conv_transpose2d: output_padding {outputPadding} must be smaller than stride {stride} or dilation {dilation}");
        int cout = coutg * groups;
        int outH = (h - 1) * stride.H - 2 * padding.H + dilation.H * (r - 1) + outputPadding.H + 1;
        int outW = (w - 1) * stride.W - 2 * padding.W + dilation.W * (s - 1) + outputPadding.W + 1;
        if (outH <= 0 || outW <= 0)
            throw new ShapeException($"conv_transpose2d: output size {outH}x{outW} for input {Shape.Format(input.Shape_)} is not positive");
        CheckBias("conv_transpose2d", bias, cout);

        // The convolution this one transposes: from the output [N, cout, outH, outW] to the input [N, cin, h, w].
        var backend = Backend.Current;
        var g = new ConvGeometry(n, cout, outH, outW, cin, r, s, stride.H, stride.W, padding.H, padding.W, padding.H, padding.W, dilation.H, dilation.W, groups,
            backend.PrefersBlocked(cout), backend.PrefersBlocked(cin));
        using var profile = Profiler.Scope("conv_transpose2d");
        var wt = weight.contiguous();
        var y = BlockedLayout.Empty([n, cout, outH, outW], g.XBlocked);
        backend.Conv2dBackwardData(g, wt.Span, BlockedLayout.Data(input, g.YBlocked), BlockedLayout.Data(y, g.XBlocked));
        if (bias is not null) ChannelOps.AddBias(y, bias.ToArray(), g.XBlocked);
        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        Tracing.OpTrace.Record("conv_transpose2d", inputs, y, ("stride", stride), ("padding", padding), ("output_padding", outputPadding), ("groups", groups), ("dilation", dilation));
        return AutogradEngine.Record(y, "conv_transpose2d", inputs, dy =>
        {
            Tensor? dx = null, dw = null, db = null;
            // Both gradients read dy as the convolution's x: on bfloat16, converted once by the first for the second.
            int converted = input.RequiresGradFlag && weight.RequiresGradFlag ? backend.ConvertedInputLength(g) : 0;
            var convertedDy = converted > 0 ? BufferPool.RentAligned<ushort>(converted) : default;
            if (input.RequiresGradFlag)
            {
                dx = BlockedLayout.Empty(input.shape, g.YBlocked);
                backend.Conv2dForward(g, BlockedLayout.Data(dy, g.XBlocked), wt.Span, default, BlockedLayout.Data(dx, g.YBlocked), convertedDy);
            }
            if (weight.RequiresGradFlag)
            {
                dw = Tensor.Empty(weight.shape, clear: false);
                backend.Conv2dBackward(g, convertedDy.Count == 0 ? BlockedLayout.Data(dy, g.XBlocked) : default, default, BlockedLayout.Data(input, g.YBlocked),
                    default, dw.Span, default, convertedDy);
            }
            if (convertedDy.Count > 0) BufferPool.Return(convertedDy.Array!);
            if (bias?.RequiresGradFlag == true) db = torch.tensor(ChannelOps.Sum(dy, g.XBlocked));
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
    }

    private static void CheckGroups(string op, int groups, int c, int k, int cg, Tensor input, Tensor weight)
    {
        if (groups <= 0 || c % groups != 0 || k % groups != 0)
            throw new ShapeException($"{op}: groups={groups} must divide input channels {c} and output channels {k}");
        if (cg * groups != c)
            throw new ShapeException($"{op}: weight {Shape.Format(weight.Shape_)} expects {cg * groups} input channels (groups={groups}), input {Shape.Format(input.Shape_)} has {c}");
    }

    private static void CheckPositive(string op, (int H, int W) stride, (int H, int W) dilation, (int H, int W) padding)
    {
        if (stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0 || padding.H < 0 || padding.W < 0)
            throw new ShapeException($"{op}: stride {stride} and dilation {dilation} must be positive and padding {padding} non-negative");
    }

    private static void CheckBias(string op, Tensor? bias, int channels)
    {
        if (bias is null) return;
        Binary.CheckFloat(op, bias);
        if (bias.dim() != 1 || bias.size(0) != channels)
            throw new ShapeException($"{op}: bias of shape {Shape.Format(bias.Shape_)} does not match {channels} output channels");
    }
}
