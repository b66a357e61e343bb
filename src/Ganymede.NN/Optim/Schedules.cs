namespace Ganymede.NN.Optim;

/// <summary>Multiplies the learning rate by gamma every step_size epochs (torch.optim.lr_scheduler.StepLR).</summary>
public sealed class StepLR(Optimizer optimizer, int step_size, float gamma = 0.1f)
{
    private readonly float _baseLr = optimizer.lr;
    private int _epoch;

    public void step() => optimizer.lr = _baseLr * MathF.Pow(gamma, ++_epoch / step_size);
}

/// <summary>
/// Cosine annealing from the optimizer's rate to eta_min over T_max steps of the schedule (CosineAnnealingLR without
/// restarts), stepped per epoch or per batch. A run resumed after <c>last_epoch</c> steps starts at that point's rate.
/// </summary>
public sealed class CosineAnnealingLR
{
    private readonly Optimizer _optimizer;
    private readonly float _baseLr, _etaMin;
    private readonly int _tMax;
    private int _epoch;

    public CosineAnnealingLR(Optimizer optimizer, int T_max, float eta_min = 0f, int last_epoch = 0)
    {
        if (T_max <= 0) throw new ArgumentException($"CosineAnnealingLR: T_max {T_max} must be positive");
        (_optimizer, _baseLr, _etaMin, _tMax, _epoch) = (optimizer, optimizer.lr, eta_min, T_max, Math.Clamp(last_epoch, 0, T_max));
        Apply();
    }

    public void step()
    {
        _epoch = Math.Min(_epoch + 1, _tMax);
        Apply();
    }

    private void Apply() => _optimizer.lr = (float)(_etaMin + (_baseLr - _etaMin) * (1 + Math.Cos(Math.PI * _epoch / _tMax)) / 2);
}

/// <summary>Cuts the rate by factor when the watched metric has not improved for patience epochs (ReduceLROnPlateau).</summary>
public sealed class ReduceLROnPlateau(Optimizer optimizer, string mode = "min", float factor = 0.1f, int patience = 10, float threshold = 1e-4f, float min_lr = 0f)
{
    private float _best = mode == "max" ? float.NegativeInfinity : float.PositiveInfinity;
    private int _bad;

    public void step(float metric)
    {
        bool better = mode == "max" ? metric > _best * (1 + threshold) : metric < _best * (1 - threshold);
        if (better)
        {
            _best = metric;
            _bad = 0;
            return;
        }
        if (++_bad <= patience) return;
        optimizer.lr = Math.Max(min_lr, optimizer.lr * factor);
        _bad = 0;
    }
}

public static class GradClip
{
    /// <summary>Scales all gradients so their joint L2 norm is at most max_norm; returns the norm before clipping.</summary>
    public static float clip_grad_norm_(IEnumerable<Tensor> parameters, float max_norm)
    {
        var withGrad = parameters.Where(p => p.grad is not null).ToList();
        double total = 0;
        foreach (var p in withGrad)
            foreach (var g in p.grad!.contiguous().Span) total += (double)g * g;
        float norm = (float)Math.Sqrt(total);
        if (norm > max_norm)
            foreach (var p in withGrad) p.grad!.mul_(max_norm / (norm + 1e-6f));
        return norm;
    }
}
