namespace Ganymede.NN.Optim;

/// <summary>Stochastic gradient descent with momentum and L2 weight decay, as torch.optim.SGD.</summary>
public sealed class SGD(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float weight_decay = 0f, bool nesterov = false)
    : Optimizer(parameters, lr)
{
    private readonly Dictionary<Tensor, Tensor> _velocity = new(ReferenceEqualityComparer.Instance);

    public override Dictionary<string, Tensor> state_dict() => Export("momentum_buffer", _velocity);

    public override void load_state_dict(IReadOnlyDictionary<string, Tensor> state) => Import("momentum_buffer", _velocity, state);

    public override void step()
    {
        foreach (var p in Parameters)
        {
            if (p.grad is null) continue;
            var w = p.Span;
            var g = p.grad.contiguous().Span;
            var v = momentum != 0 ? State(_velocity, p).Span : default;
            for (int i = 0; i < w.Length; i++)
            {
                float d = g[i] + weight_decay * w[i];
                if (momentum != 0)
                {
                    v[i] = momentum * v[i] + d;
                    d = nesterov ? d + momentum * v[i] : v[i];
                }
                w[i] -= lr * d;
            }
            p.MarkWritten();
        }
    }
}
