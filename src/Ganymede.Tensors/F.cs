using Ganymede.Ops;

namespace Ganymede;

/// <summary>
/// The functional interface, as torch.nn.functional (imported as F in PyTorch code). Primitives call into
/// Ops/; softmax, log_softmax and the losses are composed from primitives, so their gradients come free.
/// </summary>
public static class F
{
    public static Tensor relu(Tensor x) => x.relu();

    public static Tensor leaky_relu(Tensor x, float negative_slope = 0.01f) => x.leaky_relu(negative_slope);

    public static Tensor sigmoid(Tensor x) => x.sigmoid();

    public static Tensor tanh(Tensor x) => x.tanh();

    public static Tensor softmax(Tensor x, int dim) => Tracing.OpTrace.Composite("softmax", [x], () =>
    {
        var e = x.sub(x.max(dim, keepdim: true).values.detach()).exp();
        return e.div(e.sum(dim, keepdim: true));
    }, ("dim", dim));

    public static Tensor log_softmax(Tensor x, int dim) => Tracing.OpTrace.Composite("log_softmax", [x], () =>
    {
        var shifted = x.sub(x.max(dim, keepdim: true).values.detach());
        return shifted.sub(shifted.exp().sum(dim, keepdim: true).log());
    }, ("dim", dim));

    public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (weight.dim() != 2) throw new ShapeException($"linear: weight must be 2-D [out, in], got {Shape.Format(weight.Shape_)}");
        if (input.size(-1) != weight.size(1))
            throw new ShapeException($"linear: input {Shape.Format(input.Shape_)} has {input.size(-1)} features, weight {Shape.Format(weight.Shape_)} expects {weight.size(1)}");
        return Tracing.OpTrace.Composite("linear", bias is null ? [input, weight] : [input, weight, bias], () =>
        {
            var y = MatMul.Apply(input, weight.T);
            return bias is null ? y : y.add(bias);
        });
    }

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv.Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias, (int, int) stride, (int, int) padding, (int, int) dilation, int groups = 1) =>
        Conv.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    public static Tensor conv_transpose2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int output_padding = 0, int groups = 1, int dilation = 1) =>
        Conv.ConvTranspose2d(input, weight, bias, (stride, stride), (padding, padding), (output_padding, output_padding), groups, (dilation, dilation));

    public static Tensor max_pool2d(Tensor input, int kernel_size, int? stride = null, int padding = 0, bool ceil_mode = false) =>
        Pool.MaxPool2d(input, (kernel_size, kernel_size), (stride ?? kernel_size, stride ?? kernel_size), (padding, padding), ceil_mode);

    public static Tensor avg_pool2d(Tensor input, int kernel_size, int? stride = null, int padding = 0, bool ceil_mode = false) =>
        Pool.AvgPool2d(input, (kernel_size, kernel_size), (stride ?? kernel_size, stride ?? kernel_size), (padding, padding), ceil_mode);

    public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null,
        bool training = false, float momentum = 0.1f, float eps = 1e-5f) =>
        BatchNorm.Apply(input, running_mean, running_var, weight, bias, training, momentum, eps);

    public static Tensor dropout(Tensor input, float p = 0.5f, bool training = true, Generator? generator = null) =>
        Dropout.Apply(input, p, training, generator);

    /// <summary>Constant padding; <paramref name="pad"/> lists (left, right) of the last dimension, then (top, bottom), ...</summary>
    public static Tensor pad(Tensor input, int[] pad, float value = 0f) => Resize.Pad(input, pad, value);

    public static Tensor interpolate(Tensor input, (int H, int W) size, string mode = "nearest", bool align_corners = false) =>
        Resize.Interpolate(input, size, mode, align_corners);

    public static Tensor interpolate(Tensor input, float scale_factor, string mode = "nearest", bool align_corners = false) =>
        Resize.Interpolate(input, ((int)MathF.Floor(input.size(2) * scale_factor), (int)MathF.Floor(input.size(3) * scale_factor)), mode, align_corners);

    /// <summary>
    /// Mean of −[pos_weight·y·log σ(x) + (1−y)·log(1−σ(x))], computed stably as
    /// (1−y)·x + (1 + (pos_weight−1)·y)·(log(1+e^(−|x|)) + max(−x, 0)).
    /// </summary>
    public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? pos_weight = null)
    {
        CheckSameShape("binary_cross_entropy_with_logits", input, target);
        Binary.CheckFloat("binary_cross_entropy_with_logits", input, target);
        if (pos_weight is null) return Losses.BinaryCrossEntropyWithLogits(input, target);
        var softplusNeg = input.abs().neg().exp().add(1f).log().add(input.neg().relu());
        var weight = pos_weight is null ? null : target.mul(pos_weight.sub(1f)).add(1f);
        var loss = target.neg().add(1f).mul(input).add(weight is null ? softplusNeg : weight.mul(softplusNeg));
        return loss.mean();
    }

    /// <summary>BCE on probabilities (the original system's Keras loss); log is clamped at −100 as PyTorch does.</summary>
    public static Tensor binary_cross_entropy(Tensor input, Tensor target)
    {
        CheckSameShape("binary_cross_entropy", input, target);
        var logP = input.log().clamp(min: -100f);
        var log1mP = input.neg().add(1f).log().clamp(min: -100f);
        return target.mul(logP).add(target.neg().add(1f).mul(log1mP)).mean().neg();
    }

    /// <summary>Mean cross-entropy of logits [N, C, ...] against int64 class indices [N, ...].</summary>
    public static Tensor cross_entropy(Tensor input, Tensor target)
    {
        if (target.dtype != DType.Int64)
            throw new DTypeException($"cross_entropy: target must be int64 class indices, got {target.dtype.Name()}");
        if (input.dim() < 2 || target.dim() != input.dim() - 1 || !target.shape.SequenceEqual(input.shape.Where((_, i) => i != 1)))
            throw new ShapeException($"cross_entropy: input {Shape.Format(input.Shape_)} and target {Shape.Format(target.Shape_)} do not match ([N, C, ...] and [N, ...])");
        int classes = input.size(1);
        var labels = target.ToInt64Array();
        foreach (var l in labels)
            if (l < 0 || l >= classes) throw new ArgumentException($"cross_entropy: target {l} is outside 0..{classes - 1}");
        var oneHot = OneHot(labels, input.shape);
        return log_softmax(input, 1).mul(oneHot).sum(1).mean().neg();
    }

    public static Tensor mse_loss(Tensor input, Tensor target)
    {
        CheckSameShape("mse_loss", input, target);
        return input.sub(target).square().mean();
    }

    /// <summary>
    /// 1 − (2·Σ p·t + smooth) / (Σ p + Σ t + smooth) on probabilities. With <paramref name="batch"/> the sums run over
    /// the whole batch (one pooled Dice); without, over each sample, and the loss is the samples' mean, so a small
    /// lesion weighs as much as a large one (MONAI's DiceLoss names this choice the same way).
    /// </summary>
    public static Tensor soft_dice_loss(Tensor probabilities, Tensor target, float smooth = 1f, bool batch = true) =>
        Tversky("soft_dice_loss", probabilities, target, 0.5f, 0.5f, smooth / 2, batch);

    /// <summary>
    /// 1 − (TP + smooth) / (TP + alpha·FP + beta·FN + smooth) with soft counts TP = Σ p·t, FP = Σ p·(1 − t),
    /// FN = Σ (1 − p)·t (Salehi et al., 2017): alpha above beta penalises extra pixels more than missed ones;
    /// alpha = beta = 0.5 is soft Dice. <paramref name="batch"/> as in <see cref="soft_dice_loss"/>.
    /// </summary>
    public static Tensor tversky_loss(Tensor probabilities, Tensor target, float alpha, float beta, float smooth = 0.5f, bool batch = true) =>
        Tversky("tversky_loss", probabilities, target, alpha, beta, smooth, batch);

    private static Tensor Tversky(string op, Tensor probabilities, Tensor target, float alpha, float beta, float smooth, bool batch)
    {
        CheckSameShape(op, probabilities, target);
        if (!batch && probabilities.dim() < 2) throw new ShapeException($"{op}: per sample needs a batch dimension, got shape {Shape.Format(probabilities.Shape_)}");
        int[]? dims = batch ? null : Enumerable.Range(1, probabilities.dim() - 1).ToArray();
        Tensor Sum(Tensor t) => dims is null ? t.sum() : t.sum(dims);
        var truePositives = Sum(probabilities.mul(target));
        // TP + alpha·(Σp − TP) + beta·(Σt − TP), the form with one product per pixel.
        var denominator = truePositives.mul(1f - alpha - beta).add(Sum(probabilities).mul(alpha)).add(Sum(target).mul(beta)).add(smooth);
        var loss = truePositives.add(smooth).div(denominator).neg().add(1f);
        return batch ? loss : loss.mean();
    }

    private static Tensor OneHot(long[] labels, int[] logitsShape)
    {
        int classes = logitsShape[1], inner = (int)(Shape.Numel(logitsShape) / logitsShape[0] / classes);
        var data = new float[Shape.Numel(logitsShape)];
        for (int i = 0; i < labels.Length; i++)
        {
            int n = i / inner, pos = i % inner;
            data[((long)n * classes + labels[i]) * inner + pos] = 1;
        }
        return torch.tensor(data, logitsShape);
    }

    private static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        if (!Shape.SameShape(input.Shape_, target.Shape_))
            throw new ShapeException($"{op}: input {Shape.Format(input.Shape_)} and target {Shape.Format(target.Shape_)} must have the same shape");
    }
}
