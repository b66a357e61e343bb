namespace Ganymede.NN.Optim;

/// <summary>
/// Adam (torch.optim.Adam) and, with <c>decoupled</c>, AdamW: weight decay is added to the gradient (L2)
/// in Adam and applied to the weights directly in AdamW. One fused pass per parameter.
/// </summary>
public class Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
    float weight_decay = 0f) : Optimizer(parameters, lr)
{
    private readonly Dictionary<Tensor, Tensor> _m = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, Tensor> _v = new(ReferenceEqualityComparer.Instance);
    private int _step;

    protected virtual bool Decoupled => false;

    public override Dictionary<string, Tensor> state_dict()
    {
        var state = Export("exp_avg", _m).Concat(Export("exp_avg_sq", _v)).ToDictionary();
        state["step"] = torch.tensor([(long)_step], []);
        return state;
    }

    public override void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
    {
        Import("exp_avg", _m, state);
        Import("exp_avg_sq", _v, state);
        _step = state.TryGetValue("step", out var step) ? (int)step.ToInt64Array()[0] : 0;
    }

    public override void step()
    {
        _step++;
        float c1 = 1 - MathF.Pow(beta1, _step), c2 = 1 - MathF.Pow(beta2, _step);
        float stepSize = lr / c1, sqrtC2 = MathF.Sqrt(c2);
        foreach (var p in Parameters)
        {
            if (p.grad is null) continue;
            var w = p.Span;
            var g = p.grad.contiguous().Span;
            var m = State(_m, p).Span;
            var v = State(_v, p).Span;
            for (int i = 0; i < w.Length; i++)
            {
                float gi = g[i];
                if (weight_decay != 0)
                {
                    if (Decoupled) w[i] *= 1 - lr * weight_decay;
                    else gi += weight_decay * w[i];
                }
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                w[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / sqrtC2 + eps);
            }
        }
    }
}

/// <summary>Adam with decoupled weight decay (torch.optim.AdamW; default decay 0.01).</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
    float weight_decay = 0.01f) : Adam(parameters, lr, beta1, beta2, eps, weight_decay)
{
    protected override bool Decoupled => true;
}
