using Ganymede.Autograd;
using Ganymede.Ops;

namespace Ganymede;

/// <summary>cat, stack and split: joins copy into one new tensor; their backward hands each input its slice.</summary>
public static partial class torch
{
    public static Tensor cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("cat: expects at least one tensor");
        var first = tensors[0];
        int d = Shape.NormalizeDim("cat", dim, first.dim());
        var shape = first.shape;
        int total = 0;
        foreach (var t in tensors)
        {
            t.CheckAlive();
            bool fits = t.dim() == first.dim() && t.dtype == first.dtype;
            for (int i = 0; fits && i < shape.Length; i++) fits = i == d || t.Shape_[i] == shape[i];
            if (!fits)
                throw new ShapeException($"cat: tensors must match except in dimension {d}: got {string.Join(" and ", tensors.Select(x => Shape.Format(x.Shape_) + " " + x.dtype.Name()))}");
            total += t.Shape_[d];
        }
        shape[d] = total;
        using var profile = Profiler.Scope("cat");
        var sizes = tensors.Select(t => t.Shape_[d]).ToArray();
        // Channel blocks of nChw16c tensors concatenate as whole blocks: the result stays blocked.
        bool blocked = d == 1 && tensors.Any(t => t.HasBlocked) && tensors.All(t => BlockedLayout.IsEligible(t.Shape_));
        if (blocked)
        {
            var joined = BlockedLayout.Cat(tensors, shape);
            Tracing.OpTrace.Record("cat", [.. tensors], joined, ("dim", d));
            return AutogradEngine.Record(joined, "cat", [.. tensors], g => BlockedLayout.Split(g, sizes));
        }
        var result = Tensor.Empty(shape, first.dtype, clear: false);
        int offset = 0;
        using (GradMode.NoGrad())
            foreach (var t in tensors)
            {
                result.narrow(d, offset, t.Shape_[d]).copy_(t);
                offset += t.Shape_[d];
            }
        Tracing.OpTrace.Record("cat", [.. tensors], result, ("dim", d));
        return AutogradEngine.Record(result, "cat", [.. tensors], g =>
        {
            var grads = new Tensor?[sizes.Length];
            int start = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                grads[i] = g.narrow(d, start, sizes[i]).contiguous();
                start += sizes[i];
            }
            return grads;
        });
    }

    public static Tensor stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("stack: expects at least one tensor");
        foreach (var t in tensors)
            if (!Shape.SameShape(t.Shape_, tensors[0].Shape_))
                throw new ShapeException($"stack: all tensors must have the same shape, got {string.Join(" and ", tensors.Select(x => Shape.Format(x.Shape_)))}");
        return cat(tensors.Select(t => t.unsqueeze(dim)).ToList(), dim);
    }

    /// <summary>Views of consecutive chunks of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public static Tensor[] split(Tensor tensor, int splitSize, int dim = 0)
    {
        if (splitSize <= 0) throw new ArgumentException($"split: split size must be positive, got {splitSize}");
        int d = Shape.NormalizeDim("split", dim, tensor.dim());
        int size = tensor.Shape_[d];
        var parts = new List<Tensor>();
        for (int start = 0; start < size; start += splitSize) parts.Add(tensor.narrow(d, start, Math.Min(splitSize, size - start)));
        return [.. parts];
    }
}
