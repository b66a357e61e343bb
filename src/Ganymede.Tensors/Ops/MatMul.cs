using Ganymede.Autograd;
using Ganymede.Backends;

namespace Ganymede.Ops;

/// <summary>Matrix products on the backend's GEMM: [M, K]·[K, N], or batched [B, M, K]·[B, K, N].</summary>
internal static class MatMul
{
    public static Tensor Apply(Tensor a, Tensor b)
    {
        Binary.CheckFloat("matmul", a, b);
        if (a.dim() == 2 && b.dim() == 2) return Batched(a.unsqueeze(0), b.unsqueeze(0)).squeeze(0);
        if (a.dim() == 3 && b.dim() == 3) return Batched(a, b);
        if (a.dim() > 3 && a.dim() == b.dim() && a.Shape_[..^2].SequenceEqual(b.Shape_[..^2]))
        {
            var lead = a.shape[..^2];
            var y = Batched(a.reshape(-1, a.size(-2), a.size(-1)), b.reshape(-1, b.size(-2), b.size(-1)));
            return y.reshape([.. lead, a.size(-2), b.size(-1)]);
        }
        if (a.dim() > 2 && b.dim() == 2)
        {
            var lead = a.shape[..^1];
            var flat = Batched(a.reshape(-1, a.size(-1)).unsqueeze(0), b.unsqueeze(0)).squeeze(0);
            return flat.reshape([.. lead, b.size(1)]);
        }
        throw new ShapeException($"matmul: unsupported shapes {Shape.Format(a.Shape_)} and {Shape.Format(b.Shape_)} (expected 2-D·2-D, batched N-D·N-D with equal leading dimensions, or N-D·2-D)");
    }

    private static Tensor Batched(Tensor a, Tensor b)
    {
        int batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
        if (b.size(0) != batch || b.size(1) != k)
            throw new ShapeException($"matmul: shapes {Shape.Format(a.Shape_)} and {Shape.Format(b.Shape_)} cannot be multiplied ({k} vs {b.size(1)})");
        var ac = a.contiguous();
        var bc = b.contiguous();
        var y = Tensor.Empty([batch, m, n], clear: false);
        Gemm(ac, false, bc, false, y, batch, m, n, k);
        return AutogradEngine.Record(y, "matmul", [a, b], g =>
        {
            var gc = g.contiguous();
            Tensor? da = null, db = null;
            if (a.RequiresGradFlag)
            {
                da = Tensor.Empty([batch, m, k], clear: false);
                Gemm(gc, false, bc, true, da, batch, m, k, n);
            }
            if (b.RequiresGradFlag)
            {
                db = Tensor.Empty([batch, k, n], clear: false);
                Gemm(ac, true, gc, false, db, batch, k, n, m);
            }
            return [da, db];
        });
    }

    /// <summary>Per batch: C[m, n] = op(A)·op(B), where op transposes when asked (A is [k, m] then, B is [n, k]).</summary>
    private static void Gemm(Tensor a, bool ta, Tensor b, bool tb, Tensor c, int batch, int m, int n, int k)
    {
        var backend = Backend.Current;
        var av = a.Span;
        var bv = b.Span;
        var cv = c.Span;
        for (int i = 0; i < batch; i++)
            backend.Gemm(ta, tb, m, n, k, av.Slice(i * m * k, m * k), bv.Slice(i * k * n, k * n), 0f, cv.Slice(i * m * n, m * n));
    }
}
