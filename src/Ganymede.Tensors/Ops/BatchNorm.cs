using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>
/// Batch normalisation over dimension 1 of [N, C, ...]. Training normalises with the batch's statistics
/// and updates the running ones (momentum, unbiased variance, as PyTorch); evaluation uses the running ones.
/// A blocked input stays blocked (kernels in <see cref="BatchNormKernels"/>).
/// </summary>
internal static class BatchNorm
{
    public static Tensor Apply(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps)
    {
        using var profile = Profiler.Scope("batch_norm");
        Binary.CheckFloat("batch_norm", input);
        if (input.dim() < 2) throw new ShapeException($"batch_norm: expects [N, C, ...], got {Shape.Format(input.Shape_)}");
        int n = input.size(0), c = input.size(1);
        int hw = (int)(input.numel() / Math.Max(1, (long)n * c));
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar) })
            if (t is not null && (t.dim() != 1 || t.size(0) != c))
                throw new ShapeException($"batch_norm: {name} of shape {Shape.Format(t.Shape_)} does not match {c} channels of input {Shape.Format(input.Shape_)}");
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException("batch_norm: evaluation mode needs running_mean and running_var");
        long m = (long)n * hw;
        if (training && m <= 1)
            throw new ShapeException($"batch_norm: expected more than 1 value per channel when training, got input {Shape.Format(input.Shape_)}");

        bool blocked = BlockedLayout.Prefer(input);
        var (xv, off) = BlockedLayout.Raw(input, blocked);
        var gamma = weight?.ToArray() ?? Enumerable.Repeat(1f, c).ToArray();
        var beta = bias?.ToArray() ?? new float[c];
        float[] mean, invStd;
        if (training)
        {
            mean = BatchNormKernels.ChannelSums(xv, off, n, c, hw, blocked).Select(s => (float)(s / m)).ToArray();
            var variance = BatchNormKernels.ChannelSums(xv, off, n, c, hw, blocked, mean).Select(s => s / m).ToArray();
            invStd = variance.Select(v => (float)(1 / Math.Sqrt(v + eps))).ToArray();
            UpdateRunning(runningMean, mean.Select(v => (double)v).ToArray(), momentum);
            UpdateRunning(runningVar, variance.Select(v => v * m / (m - 1)).ToArray(), momentum);
        }
        else
        {
            mean = runningMean!.ToArray();
            invStd = runningVar!.ToArray().Select(v => 1 / MathF.Sqrt(v + eps)).ToArray();
        }

        var scale = Enumerable.Range(0, c).Select(ch => invStd[ch] * gamma[ch]).ToArray();
        var shift = Enumerable.Range(0, c).Select(ch => beta[ch] - mean[ch] * scale[ch]).ToArray();
        var y = BlockedLayout.Empty(input.shape, blocked);
        BatchNormKernels.Affine(xv, off, null, 0, BlockedLayout.Out(y, blocked), scale, null, shift, n, c, hw, blocked);

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return AutogradEngine.Record(y, "batch_norm", inputs, dy =>
        {
            var (dv, doff) = BlockedLayout.Raw(dy, blocked);
            var sumDy = BatchNormKernels.ChannelSums(dv, doff, n, c, hw, blocked);
            var sumDyXhat = BatchNormKernels.ChannelDots(dv, doff, xv, off, mean, n, c, hw, blocked).Select((s, ch) => s * invStd[ch]).ToArray();
            Tensor? dx = null;
            if (input.RequiresGradFlag)
            {
                // Training: dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) with x̂ = (x − μ)·invStd, as dy·p + x·q + r.
                var p = new float[c];
                var q = new float[c];
                var r = new float[c];
                for (int ch = 0; ch < c; ch++)
                {
                    p[ch] = gamma[ch] * invStd[ch];
                    float a = training ? (float)(sumDy[ch] / m) : 0, b = training ? (float)(sumDyXhat[ch] / m) : 0;
                    q[ch] = -p[ch] * b * invStd[ch];
                    r[ch] = -p[ch] * a - q[ch] * mean[ch];
                }
                dx = BlockedLayout.Empty(input.shape, blocked);
                BatchNormKernels.Affine(dv, doff, xv, off, BlockedLayout.Out(dx, blocked), p, q, r, n, c, hw, blocked);
            }
            var grads = new List<Tensor?> { dx };
            if (weight is not null) grads.Add(torch.tensor(sumDyXhat.Select(v => (float)v).ToArray()));
            if (bias is not null) grads.Add(torch.tensor(sumDy.Select(v => (float)v).ToArray()));
            return [.. grads];
        });
    }

    private static void UpdateRunning(Tensor? running, double[] batchValue, float momentum)
    {
        if (running is null) return;
        var r = running.contiguous();
        var span = r.Span;
        for (int ch = 0; ch < span.Length; ch++) span[ch] = (float)((1 - momentum) * span[ch] + momentum * batchValue[ch]);
        if (!ReferenceEquals(r, running)) running.copy_(r);
    }
}
