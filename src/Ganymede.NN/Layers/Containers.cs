namespace Ganymede.NN;

/// <summary>Runs its modules in order; they are named "0", "1", ... as in PyTorch.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) append(layer);
    }

    public Sequential append(Module layer)
    {
        _layers.Add(register_module(_layers.Count.ToString(), layer));
        return this;
    }

    public int Count => _layers.Count;

    public Module this[int index] => _layers[index];

    public IReadOnlyList<Module> Layers => _layers;

    public override Tensor forward(Tensor input) => _layers.Aggregate(input, (x, layer) => layer.forward(x));
}

/// <summary>Holds modules by index for models that call them in their own order; it has no forward of its own.</summary>
public sealed class ModuleList : Module
{
    private readonly List<Module> _items = [];

    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) append(m);
    }

    public ModuleList append(Module module)
    {
        _items.Add(register_module(_items.Count.ToString(), module));
        return this;
    }

    public int Count => _items.Count;

    public Module this[int index] => _items[index];

    public override Tensor forward(Tensor input) =>
        throw new InvalidOperationException("ModuleList has no forward: call its items");
}
