using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>
/// Reductions over any set of dimensions. The reduced dimensions are moved last and made contiguous,
/// so every kernel is a plain loop over [outer, inner] blocks.
/// </summary>
internal static class Reduce
{
    /// <summary>The input rearranged as [kept..., reduced...] plus the kept shape (with 1s where keepdim).</summary>
    private static (Tensor Blocks, int Outer, int Inner, int[] OutShape) Layout(string op, Tensor x, int[]? dims, bool keepdim)
    {
        int rank = x.dim();
        var reduced = new bool[rank];
        if (dims is null || dims.Length == 0) Array.Fill(reduced, true);
        else
            foreach (var d in dims)
            {
                int n = Shape.NormalizeDim(op, d, rank);
                if (reduced[n]) throw new ShapeException($"{op}: dimension {d} listed twice");
                reduced[n] = true;
            }
        var order = Enumerable.Range(0, rank).Where(i => !reduced[i]).Concat(Enumerable.Range(0, rank).Where(i => reduced[i])).ToArray();
        var shape = x.Shape_;
        int outer = 1, inner = 1;
        var outShape = new List<int>();
        for (int i = 0; i < rank; i++)
        {
            if (reduced[i]) { inner *= shape[i]; if (keepdim) outShape.Add(1); }
            else { outer *= shape[i]; outShape.Add(shape[i]); }
        }
        Tensor blocks;
        using (GradMode.NoGrad()) blocks = x.permute(order).contiguous();
        return (blocks, outer, inner, outShape.ToArray());
    }

    public static Tensor Sum(Tensor x, int[]? dims, bool keepdim)
    {
        Binary.CheckFloat("sum", x);
        using var profile = Profiler.Scope("sum");
        var (blocks, outer, inner, outShape) = Layout("sum", x, dims, keepdim);
        var y = Tensor.Empty(outShape, clear: false);
        var src = blocks.Span;
        var dst = y.Span;
        for (int o = 0; o < outer; o++)
        {
            double acc = 0;
            var row = src.Slice(o * inner, inner);
            for (int i = 0; i < row.Length; i++) acc += row[i];
            dst[o] = (float)acc;
        }
        var keptShape = KeptShape(x, dims);
        return AutogradEngine.Record(y, "sum", [x], g => [g.reshape(keptShape).expand(x.shape).contiguous()]);
    }

    public static Tensor Mean(Tensor x, int[]? dims, bool keepdim)
    {
        long total = x.numel();
        var s = Sum(x, dims, keepdim);
        long count = s.numel() == 0 ? 0 : total / s.numel();
        return s.div(count == 0 ? float.NaN : count);
    }

    /// <summary>Maximum values and their int64 indices along one dimension; the gradient flows to the first maximum.</summary>
    public static (Tensor Values, Tensor Indices) Max(Tensor x, int dim, bool keepdim)
    {
        Binary.CheckFloat("max", x);
        int d = Shape.NormalizeDim("max", dim, x.dim());
        if (x.Shape_[d] == 0) throw new ShapeException($"max: dimension {d} of shape {Shape.Format(x.Shape_)} is empty");
        var (blocks, outer, inner, outShape) = Layout("max", x, [d], keepdim);
        var values = Tensor.Empty(outShape, clear: false);
        var indices = Tensor.Empty(outShape, DType.Int64, clear: false);
        var src = blocks.Span;
        var vd = values.Span;
        var id = indices.Storage.Longs;
        for (int o = 0; o < outer; o++)
        {
            var row = src.Slice(o * inner, inner);
            int best = 0;
            for (int i = 1; i < row.Length; i++)
                if (row[i] > row[best] || (float.IsNaN(row[i]) && !float.IsNaN(row[best]))) best = i;
            vd[o] = row[best];
            id[o] = best;
        }
        AutogradEngine.Record(values, "max", [x], g =>
        {
            // Scatter into the [kept, reduced] layout, then undo the permutation.
            var perm = Enumerable.Range(0, x.dim()).Where(i => i != d).Append(d).ToArray();
            var dxBlocks = torch.zeros(x.permute(perm).shape);
            var gd = g.contiguous().Span;
            var dd = dxBlocks.Span;
            for (int o = 0; o < outer; o++) dd[o * inner + (int)id[o]] = gd[o];
            var inverse = new int[perm.Length];
            for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
            return [dxBlocks.permute(inverse).contiguous()];
        });
        return (values, indices);
    }

    /// <summary>Input shape with reduced dimensions set to 1: the shape a keepdim result broadcasts back from.</summary>
    private static int[] KeptShape(Tensor x, int[]? dims)
    {
        var shape = x.shape;
        if (dims is null || dims.Length == 0) return Enumerable.Repeat(1, shape.Length).ToArray();
        foreach (var d in dims) shape[Shape.NormalizeDim("reduce", d, shape.Length)] = 1;
        return shape;
    }
}
