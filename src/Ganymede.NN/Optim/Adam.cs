using System.Numerics;
using System.Runtime.InteropServices;
using Ganymede.Backends;

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
        var k = new Coefficients(beta1, beta2, lr / c1, MathF.Sqrt(c2), eps,
            Decoupled ? 0 : weight_decay, Decoupled ? 1 - lr * weight_decay : 1);
        foreach (var p in Parameters)
        {
            if (p.grad is null) continue;
            var grad = p.grad.contiguous();
            var m = State(_m, p);
            var v = State(_v, p);
            // Chunks of the parameter, on the cores as the backend decides; each element's arithmetic is the same whichever
            // chunk or lane computes it, so results do not depend on the split (resume stays bit for bit).
            int length = (int)p.numel(), chunks = Math.Max(1, Math.Min(Environment.ProcessorCount, length / 65536));
            Backend.Current.For(chunks, chunk =>
            {
                int start = (int)((long)length * chunk / chunks), end = (int)((long)length * (chunk + 1) / chunks);
                Update(p.Span[start..end], grad.Span[start..end], m.Span[start..end], v.Span[start..end], k);
            });
            p.MarkWritten();
        }
    }

    private readonly record struct Coefficients(float Beta1, float Beta2, float StepSize, float SqrtC2, float Eps, float L2Decay, float DecoupledScale);

    /// <summary>One Adam update over a run of elements: vector lanes first, the tail one by one, with the same operations.</summary>
    private static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Coefficients k)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var wv = MemoryMarshal.Cast<float, Vector<float>>(w);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(g);
            var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            for (int j = 0; j < wv.Length; j++)
            {
                var wj = wv[j] * k.DecoupledScale;
                var gj = gv[j] + k.L2Decay * wj;
                var mj = k.Beta1 * mv[j] + (1 - k.Beta1) * gj;
                var vj = k.Beta2 * vv[j] + (1 - k.Beta2) * gj * gj;
                mv[j] = mj;
                vv[j] = vj;
                wv[j] = wj - k.StepSize * mj / (Vector.SquareRoot(vj) / k.SqrtC2 + new Vector<float>(k.Eps));
            }
            i = wv.Length * Vector<float>.Count;
        }
        for (; i < w.Length; i++)
        {
            float wi = w[i] * k.DecoupledScale;
            float gi = g[i] + k.L2Decay * wi;
            float mi = k.Beta1 * m[i] + (1 - k.Beta1) * gi;
            float vi = k.Beta2 * v[i] + (1 - k.Beta2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            w[i] = wi - k.StepSize * mi / (MathF.Sqrt(vi) / k.SqrtC2 + k.Eps);
        }
    }
}

/// <summary>Adam with decoupled weight decay (torch.optim.AdamW; default decay 0.01).</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f,
    float weight_decay = 0.01f) : Adam(parameters, lr, beta1, beta2, eps, weight_decay)
{
    protected override bool Decoupled => true;
}
