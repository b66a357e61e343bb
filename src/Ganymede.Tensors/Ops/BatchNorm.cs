using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>
/// Batch normalisation over dimension 1 of [N, C, ...]. Training normalises with the batch's statistics
/// and updates the running ones (momentum, unbiased variance, as PyTorch); evaluation uses the running ones.
/// Vectorised, parallel over channels for statistics and over planes for the elementwise passes.
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
        var xv = x.Floats;
        int off = (int)x.Offset;
        ReadOnlySpan<float> Plane(float[] data, int start, int b, int ch) => data.AsSpan(start + (b * c + ch) * inner, inner);
        var gamma = weight?.ToArray();
        var beta = bias?.ToArray();
        var mean = new float[c];
        var invStd = new float[c];
        if (training)
        {
            var variance = new double[c];
            Parallel.For(0, c, ch =>
            {
                double s = 0, sq = 0;
                for (int b = 0; b < n; b++) s += VectorMath.Sum(Plane(xv, off, b, ch));
                float mu = (float)(s / m);
                for (int b = 0; b < n; b++) sq += VectorMath.SumSquaredDeviation(Plane(xv, off, b, ch), mu);
                mean[ch] = mu;
                variance[ch] = sq / m;
                invStd[ch] = (float)(1 / Math.Sqrt(sq / m + eps));
            });
            UpdateRunning(runningMean, mean.Select(v => (double)v).ToArray(), momentum);
            UpdateRunning(runningVar, variance.Select(v => v * m / (m - 1)).ToArray(), momentum);
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
            VectorMath.ScaleShift(xv.AsSpan(off + plane * inner, inner), yv.AsSpan(plane * inner, inner), scale, shift);
        });

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return AutogradEngine.Record(y, "batch_norm", inputs, dy =>
        {
            var d = dy.contiguous();
            var dv = d.Floats;
            int doff = (int)d.Offset;
            var sumDy = new double[c];
            var sumDyXhat = new double[c];
            Parallel.For(0, c, ch =>
            {
                double s1 = 0, s2 = 0;
                for (int b = 0; b < n; b++)
                {
                    s1 += VectorMath.Sum(Plane(dv, doff, b, ch));
                    s2 += VectorMath.DotCentred(Plane(dv, doff, b, ch), Plane(xv, off, b, ch), mean[ch]);
                }
                sumDy[ch] = s1;
                sumDyXhat[ch] = s2 * invStd[ch];
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
                    // Training: dx = gs·(dy − mean(dy) − x̂·mean(dy·x̂)), with x̂ = (x − μ)·invStd, folded into dy·p + x·q + r.
                    float a = training ? (float)(sumDy[ch] / m) : 0, b = training ? (float)(sumDyXhat[ch] / m) : 0;
                    float q = -gs * b * invStd[ch];
                    VectorMath.Combine(dv.AsSpan(doff + plane * inner, inner), gs, xv.AsSpan(off + plane * inner, inner), q,
                        -gs * a - q * mean[ch], dxv.AsSpan(plane * inner, inner));
                });
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
