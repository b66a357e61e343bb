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

    public void zero_grad()
    {
        foreach (var p in Parameters)
        {
            p.grad?.Dispose();
            p.grad = null;
        }
    }

    protected static Tensor State(Dictionary<Tensor, Tensor> states, Tensor parameter)
    {
        if (states.TryGetValue(parameter, out var state)) return state;
        state = torch.zeros(parameter.shape).DetachFromDisposeScope();
        states[parameter] = state;
        return state;
    }
}
