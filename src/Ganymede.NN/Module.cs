namespace Ganymede.NN;

/// <summary>
/// A layer or model: named parameters (trained), buffers (saved but not trained, e.g. BatchNorm's running
/// statistics) and submodules, as torch.nn.Module. Names join with dots ("down.0.1.weight"), exactly as
/// PyTorch's state_dict, so weights move between the two by name.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Tensor)> _parameters = [];
    private readonly List<(string Name, Tensor Tensor)> _buffers = [];
    private readonly List<(string Name, Module Module)> _modules = [];

    public bool training { get; private set; } = true;

    public abstract Tensor forward(Tensor input);

    public Tensor call(Tensor input) => forward(input);

    protected Tensor register_parameter(string name, Tensor tensor)
    {
        tensor.DetachFromDisposeScope();
        tensor.requires_grad = true;
        _parameters.Add((name, tensor));
        return tensor;
    }

    protected Tensor register_buffer(string name, Tensor tensor)
    {
        tensor.DetachFromDisposeScope();
        _buffers.Add((name, tensor));
        return tensor;
    }

    protected T register_module<T>(string name, T module) where T : Module
    {
        _modules.Add((name, module));
        return module;
    }

    public IEnumerable<(string name, Module module)> named_children() => _modules;

    public IEnumerable<(string name, Tensor parameter)> named_parameters() => Walk(m => m._parameters);

    public IEnumerable<(string name, Tensor buffer)> named_buffers() => Walk(m => m._buffers);

    public IEnumerable<Tensor> parameters() => named_parameters().Select(p => p.parameter);

    private IEnumerable<(string, Tensor)> Walk(Func<Module, List<(string Name, Tensor Tensor)>> select, string prefix = "")
    {
        foreach (var (name, tensor) in select(this)) yield return (prefix + name, tensor);
        foreach (var (name, module) in _modules)
            foreach (var item in module.Walk(select, prefix + name + "."))
                yield return item;
    }

    /// <summary>Parameters and buffers by dotted name (torch's state_dict); the tensors are the live ones, not copies.</summary>
    public Dictionary<string, Tensor> state_dict()
    {
        var dict = new Dictionary<string, Tensor>();
        foreach (var (name, t) in named_parameters()) dict[name] = t;
        foreach (var (name, t) in named_buffers()) dict[name] = t;
        return dict;
    }

    /// <summary>Copies values in by name. With <paramref name="strict"/>, missing or unexpected names are an error that lists them.</summary>
    public void load_state_dict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
    {
        var own = state_dict();
        if (strict)
        {
            var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
            var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new ArgumentException($"load_state_dict: missing keys [{string.Join(", ", missing)}], unexpected keys [{string.Join(", ", unexpected)}]");
        }
        using var _ = torch.no_grad();
        foreach (var (name, target) in own)
        {
            if (!source.TryGetValue(name, out var value)) continue;
            if (!value.shape.SequenceEqual(target.shape))
                throw new ShapeException($"load_state_dict: '{name}' has shape [{string.Join(", ", value.shape)}] in the source, [{string.Join(", ", target.shape)}] in the model");
            target.copy_(value.to(target.dtype));
        }
    }

    public Module train(bool mode = true)
    {
        training = mode;
        foreach (var (_, m) in _modules) m.train(mode);
        return this;
    }

    public Module eval() => train(false);

    public void zero_grad() => ClearGradients(parameters());

    /// <summary>Drops the gradients of <paramref name="parameters"/> (set_to_none, PyTorch's default); modules and optimizers both clear this way.</summary>
    internal static void ClearGradients(IEnumerable<Tensor> parameters)
    {
        foreach (var p in parameters)
        {
            p.grad?.Dispose();
            p.grad = null;
        }
    }

    public long parameter_count() => parameters().Sum(p => p.numel());

    public virtual void Dispose()
    {
        foreach (var (_, t) in _parameters) { t.grad?.Dispose(); t.Dispose(); }
        foreach (var (_, t) in _buffers) t.Dispose();
        foreach (var (_, m) in _modules) m.Dispose();
        GC.SuppressFinalize(this);
    }
}
