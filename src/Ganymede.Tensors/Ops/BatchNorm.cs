using Ganymede.Autograd;
using Ganymede.Backends;

namespace Ganymede.Ops;

/// <summary>
/// Batch normalisation over dimension 1 of [N, C, ...]. Training normalises with the batch's statistics
/// and updates the running ones (momentum, unbiased variance, as PyTorch); evaluation uses the running ones.
/// A blocked input stays blocked on backends that keep activations blocked. With <c>relu</c> (training only) a ReLU
/// follows in the same pass, and its backward in batch norm's: one read and write of the activation less each way.
/// </summary>
internal static class BatchNorm
{
    public static Tensor Apply(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps, bool relu = false)
    {
        if (relu && !training) throw new ArgumentException("batch_norm: a fused ReLU is for training; evaluation runs batch norm and relu as two traced operations");
        string op = relu ? "batch_norm_relu" : "batch_norm";
        using var profile = Profiler.Scope(op);
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

        var backend = Backend.Current;
        bool blocked = backend.PrefersBlocked(c) && BlockedLayout.Prefer(input);
        var g = new NormGeometry(n, c, input.dim() == 4 ? input.size(2) : hw, input.dim() == 4 ? input.size(3) : 1, eps, training, blocked, relu);
        var scale = weight?.ToArray() ?? Enumerable.Repeat(1f, c).ToArray();
        var shift = bias?.ToArray() ?? new float[c];
        var mean = training ? new float[c] : runningMean!.ToArray();
        var variance = training ? new float[c] : runningVar!.ToArray();
        var y = BlockedLayout.Empty(input.shape, blocked);
        // Which outputs the ReLU let through, for the backward pass; pooled memory, as a tensor of the step.
        var workspace = Tensor.Empty([backend.BatchNormWorkspaceBytes(g)], DType.UInt8, clear: false);
        backend.BatchNormForward(g, BlockedLayout.Data(input, blocked), scale, shift, mean, variance, BlockedLayout.Data(y, blocked), workspace.Storage.Bytes);
        if (training)
        {
            UpdateRunning(runningMean, mean, 1, momentum);
            UpdateRunning(runningVar, variance, (float)m / (m - 1), momentum);
        }

        if (!training) Tracing.OpTrace.Record("batch_norm", [input, torch.tensor(scale), torch.tensor(shift), torch.tensor(mean), torch.tensor(variance)], y, ("eps", eps));
        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return AutogradEngine.Record(y, op, inputs, dy =>
        {
            var dx = BlockedLayout.Empty(input.shape, blocked);
            var dscale = new float[c];
            var dshift = new float[c];
            backend.BatchNormBackward(g, BlockedLayout.Data(input, blocked), BlockedLayout.Data(dy, blocked), scale, mean, variance,
                workspace.Storage.Bytes, BlockedLayout.Data(dx, blocked), dscale, dshift);
            var grads = new List<Tensor?> { input.RequiresGradFlag ? dx : null };
            if (weight is not null) grads.Add(torch.tensor(dscale));
            if (bias is not null) grads.Add(torch.tensor(dshift));
            return [.. grads];
        });
    }

    /// <summary>running = (1 − momentum)·running + momentum·correction·batch (correction turns the biased variance unbiased).</summary>
    private static void UpdateRunning(Tensor? running, float[] batch, float correction, float momentum)
    {
        if (running is null) return;
        var r = running.contiguous();
        var span = r.Span;
        for (int ch = 0; ch < span.Length; ch++) span[ch] = (1 - momentum) * span[ch] + momentum * correction * batch[ch];
        if (!ReferenceEquals(r, running)) running.copy_(r);
    }
}
