namespace Ganymede.NN.Optim;

/// <summary>
/// An exponential moving average of a module's parameters and floating-point buffers (PyTorch's
/// <c>AveragedModel</c> with an EMA update, kept beside the module instead of in a copy of it). Call
/// <see cref="update"/> after each optimizer step; <see cref="swap_in"/> puts the average into the module for
/// evaluation or saving and gives the trained weights back when disposed. Integer buffers (batch counters) are
/// left to the module. The decay is warmed up as min(decay, (1 + n) / (10 + n)) after n updates, so the first
/// steps are not averaged with the random initialisation for long.
/// </summary>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly Module _module;
    private readonly Dictionary<string, Tensor> _average;

    public ExponentialMovingAverage(Module module, float decay)
    {
        if (!(decay > 0 && decay < 1)) throw new ArgumentException($"ExponentialMovingAverage: decay must be in (0, 1), got {decay}");
        (_module, this.decay) = (module, decay);
        _average = Averaged(module).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    public float decay { get; }

    /// <summary>How many updates the average has taken.</summary>
    public long updates { get; private set; }

    /// <summary>average = d · average + (1 − d) · current, for every averaged tensor.</summary>
    public void update()
    {
        float d = Math.Min(decay, (1f + updates) / (10f + updates));
        using var _ = torch.no_grad();
        foreach (var (name, current) in Averaged(_module)) _average[name].mul_(d).add_(current.detach(), 1 - d);
        updates++;
    }

    /// <summary>Copies the average into the module; disposing the result copies the module's own weights back.</summary>
    public IDisposable swap_in()
    {
        using var _ = torch.no_grad();
        var own = Averaged(_module).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
        _module.load_state_dict(_average, strict: false);
        return new Restore(_module, own);
    }

    /// <summary>The averaged tensors by state-dict name, and the update count under "updates" (for checkpoints).</summary>
    public Dictionary<string, Tensor> state_dict() =>
        new(_average) { ["updates"] = torch.tensor([(float)updates], []) };

    /// <summary>Restores what <see cref="state_dict"/> returned.</summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> source)
    {
        using var _ = torch.no_grad();
        foreach (var (name, average) in _average)
            average.copy_(source.TryGetValue(name, out var value) ? value : throw new ArgumentException($"ExponentialMovingAverage: the saved average lacks '{name}'"));
        updates = source.TryGetValue("updates", out var count) ? (long)count.item() : throw new ArgumentException("ExponentialMovingAverage: the saved average lacks 'updates'");
    }

    public void Dispose()
    {
        foreach (var t in _average.Values) t.Dispose();
    }

    private static IEnumerable<KeyValuePair<string, Tensor>> Averaged(Module module) =>
        module.state_dict().Where(kv => kv.Value.dtype == DType.Float32);

    private sealed class Restore(Module module, Dictionary<string, Tensor> own) : IDisposable
    {
        public void Dispose()
        {
            module.load_state_dict(own, strict: false);
            foreach (var t in own.Values) t.Dispose();
        }
    }
}
