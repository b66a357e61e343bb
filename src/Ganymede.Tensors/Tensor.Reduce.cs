using Ganymede.Ops;

namespace Ganymede;

/// <summary>Reductions: sum, mean, max, argmax.</summary>
public sealed partial class Tensor
{
    public Tensor sum() => Reduce.Sum(this, null, false);

    public Tensor sum(int dim, bool keepdim = false) => Reduce.Sum(this, [dim], keepdim);

    public Tensor sum(int[] dims, bool keepdim = false) => Reduce.Sum(this, dims, keepdim);

    public Tensor mean() => Reduce.Mean(this, null, false);

    public Tensor mean(int dim, bool keepdim = false) => Reduce.Mean(this, [dim], keepdim);

    public Tensor mean(int[] dims, bool keepdim = false) => Reduce.Mean(this, dims, keepdim);

    /// <summary>The largest element (a 0-d tensor).</summary>
    public Tensor max() => Reduce.Max(flatten(), 0, false).Values;

    public (Tensor values, Tensor indices) max(int dim, bool keepdim = false) => Reduce.Max(this, dim, keepdim);

    public Tensor min() => neg().max().neg();

    /// <summary>Index (int64) of the largest element along <paramref name="dim"/>.</summary>
    public Tensor argmax(int dim, bool keepdim = false) => Reduce.Max(detach(), dim, keepdim).Indices;

    /// <summary>Sums over broadcast dimensions so the result has <paramref name="target"/>'s shape (the backward of broadcasting).</summary>
    internal Tensor SumToShape(ReadOnlySpan<int> target)
    {
        if (Shape.SameShape(_shape, target)) return this;
        int shift = dim() - target.Length;
        var dims = new List<int>();
        for (int i = 0; i < dim(); i++)
            if (i < shift || (target[i - shift] == 1 && _shape[i] != 1)) dims.Add(i);
        return (dims.Count == 0 ? this : sum([.. dims], keepdim: true)).reshape(target.ToArray());
    }
}
