using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>
/// Batch normalisation over dimension 1 of [N, C, ...]. Training normalises with the batch's statistics
/// and updates the running ones (momentum, unbiased variance, as PyTorch); evaluation uses the running ones.
/// </summary>
internal static class BatchNorm
{
    public static Tensor Apply(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum, float eps)
    {
        Binary.CheckFloat("batch_norm", input);
        if (input.dim() < 2) throw new ShapeException($"batch_norm: expects [N, C, ...], got {Shape.Format(input.Shape_)}");
        int n = input.size(0), c = input.size(1);
        int inner = (int)(input.numel() / Math.Max(1, (long)n * c));
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar) })
            if (t is not null && (t.dim() != 1 || t.size(0) != c))
                throw new ShapeException($"batch_norm: {name} of shape {Shape.Format(t.Shape_)} does not match {c} channels of input {Shape.Format(input.Shape_)}");
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException("batch_norm: evaluation mode needs running_mean and running_var");
        long m = (long)n * inner;
        if (training && m <= 1)
            throw new ShapeException($"batch_norm: expected more than 1 value per channel when training, got input {Shape.Format(input.Shape_)}");

        var x = input.contiguous();
        var gamma = weight?.ToArray();
        var beta = bias?.ToArray();
        var mean = new float[c];
        var invStd = new float[c];
        var xv = x.Floats;
        long off = x.Offset;
        if (training)
        {
            Parallel.For(0, c, ch =>
            {
                double s = 0, sq = 0;
                for (int b = 0; b < n; b++)
                {
                    long start = off + ((long)b * c + ch) * inner;
                    for (int i = 0; i < inner; i++) s += xv[start + i];
                }
                double mu = s / m;
                for (int b = 0; b < n; b++)
                {
                    long start = off + ((long)b * c + ch) * inner;
                    for (int i = 0; i < inner; i++) { double d = xv[start + i] - mu; sq += d * d; }
                }
                double variance = sq / m;
                mean[ch] = (float)mu;
                invStd[ch] = (float)(1 / Math.Sqrt(variance + eps));
                if (runningMean is not null) runningMean.Floats[runningMean.Offset + ch] = (1 - momentum) * runningMean.Floats[runningMean.Offset + ch] + momentum * (float)mu;
                if (runningVar is not null) runningVar.Floats[runningVar.Offset + ch] = (1 - momentum) * runningVar.Floats[runningVar.Offset + ch] + momentum * (float)(sq / (m - 1));
            });
        }
        else
        {
            var rm = runningMean!.ToArray();
            var rv = runningVar!.ToArray();
            for (int ch = 0; ch < c; ch++)
            {
                mean[ch] = rm[ch];
                invStd[ch] = 1 / MathF.Sqrt(rv[ch] + eps);
            }
        }

        var y = Tensor.Empty(input.shape, clear: false);
        var yv = y.Floats;
        Parallel.For(0, n * c, plane =>
        {
            int ch = plane % c;
            float scale = invStd[ch] * (gamma?[ch] ?? 1), shift = (beta?[ch] ?? 0) - mean[ch] * scale;
            long start = (long)plane * inner;
            for (int i = 0; i < inner; i++) yv[start + i] = xv[off + start + i] * scale + shift;
        });

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return AutogradEngine.Record(y, "batch_norm", inputs, dy =>
        {
            var d = dy.contiguous();
            var dv = d.Floats;
            long doff = d.Offset;
            var sumDy = new double[c];
            var sumDyXhat = new double[c];
            Parallel.For(0, c, ch =>
            {
                double s1 = 0, s2 = 0;
                for (int b = 0; b < n; b++)
                {
                    long start = ((long)b * c + ch) * inner;
                    for (int i = 0; i < inner; i++)
                    {
                        float g = dv[doff + start + i];
                        s1 += g;
                        s2 += g * (xv[off + start + i] - mean[ch]) * invStd[ch];
                    }
                }
                sumDy[ch] = s1;
                sumDyXhat[ch] = s2;
            });
            Tensor? dx = null;
            if (input.RequiresGradFlag)
            {
                dx = Tensor.Empty(input.shape, clear: false);
                var dxv = dx.Floats;
                Parallel.For(0, n * c, plane =>
                {
                    int ch = plane % c;
                    float gs = (gamma?[ch] ?? 1) * invStd[ch];
                    long start = (long)plane * inner;
                    if (!training)
                    {
                        for (int i = 0; i < inner; i++) dxv[start + i] = dv[doff + start + i] * gs;
                        return;
                    }
                    float a = (float)(sumDy[ch] / m), b2 = (float)(sumDyXhat[ch] / m);
                    for (int i = 0; i < inner; i++)
                    {
                        float xhat = (xv[off + start + i] - mean[ch]) * invStd[ch];
                        dxv[start + i] = gs * (dv[doff + start + i] - a - xhat * b2);
                    }
                });
            }
            var grads = new List<Tensor?> { dx };
            if (weight is not null) grads.Add(torch.tensor(sumDyXhat.Select(v => (float)v).ToArray()));
            if (bias is not null) grads.Add(torch.tensor(sumDy.Select(v => (float)v).ToArray()));
            return [.. grads];
        });
    }
}
