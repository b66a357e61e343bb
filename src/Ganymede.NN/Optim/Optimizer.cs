namespace Ganymede.NN.Optim;

/// <summary>Updates parameters from their gradients; state tensors are created on first use and outlive dispose scopes.</summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<Tensor> parameters, float lr)
    {
        Parameters = parameters.ToList();
        if (Parameters.Count == 0) throw new ArgumentException("optimizer got an empty parameter list");
        if (lr < 0 || float.IsNaN(lr)) throw new ArgumentException($"invalid learning rate {lr}");
        this.lr = lr;
    }

    protected IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The current learning rate (schedules change it).</summary>
    public float lr { get; set; }

    public abstract void step();

    /// <summary>The optimizer's state by name (per-parameter tensors indexed by parameter position), for checkpoints.</summary>
    public abstract Dictionary<string, Tensor> state_dict();

    /// <summary>Restores what <see cref="state_dict"/> returned, so training resumes exactly.</summary>
    public abstract void load_state_dict(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>Per-parameter tensors of one kind as "{prefix}.{index}" entries.</summary>
    protected Dictionary<string, Tensor> Export(string prefix, Dictionary<Tensor, Tensor> states) =>
        Parameters.Select((p, i) => (p, i)).Where(x => states.ContainsKey(x.p)).ToDictionary(x => $"{prefix}.{x.i}", x => states[x.p]);

    protected void Import(string prefix, Dictionary<Tensor, Tensor> states, IReadOnlyDictionary<string, Tensor> source)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (!source.TryGetValue($"{prefix}.{i}", out var value)) continue;
            if (!value.shape.SequenceEqual(Parameters[i].shape))
                throw new ArgumentException($"optimizer state '{prefix}.{i}' has shape [{string.Join(", ", value.shape)}], parameter {i} has [{string.Join(", ", Parameters[i].shape)}]");
            State(states, Parameters[i]).copy_(value);
        }
    }

    public void zero_grad() => Module.ClearGradients(Parameters);

    protected static Tensor State(Dictionary<Tensor, Tensor> states, Tensor parameter)
    {
        if (states.TryGetValue(parameter, out var state)) return state;
        state = torch.zeros(parameter.shape).DetachFromDisposeScope();
        states[parameter] = state;
        return state;
    }
}
