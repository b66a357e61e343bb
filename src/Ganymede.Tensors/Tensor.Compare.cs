using Ganymede.Autograd;
using Ganymede.Ops;

namespace Ganymede;

/// <summary>Comparisons (giving bool tensors), dtype conversion and selection with where.</summary>
public sealed partial class Tensor
{
    public Tensor gt(float value) => Compare(v => v > value);

    public Tensor ge(float value) => Compare(v => v >= value);

    public Tensor lt(float value) => Compare(v => v < value);

    public Tensor le(float value) => Compare(v => v <= value);

    public Tensor eq(float value) => Compare(v => v == value);

    private Tensor Compare(Func<float, bool> predicate)
    {
        var values = ToArray();
        var result = Empty(_shape, DType.Bool, clear: false);
        var bytes = result.Storage.Bytes;
        for (int i = 0; i < values.Length; i++) bytes[i] = predicate(values[i]) ? (byte)1 : (byte)0;
        return result;
    }

    /// <summary>A copy converted to <paramref name="target"/> (not differentiable, except float32 to float32).</summary>
    public Tensor to(DType target)
    {
        if (target == dtype) return this;
        var values = ToArray();
        var result = Empty(_shape, target, clear: false);
        switch (result.Storage.Data)
        {
            case float[] f: values.CopyTo(f, 0); break;
            case long[] l: for (int i = 0; i < values.Length; i++) l[i] = (long)values[i]; break;
            case byte[] b when target == DType.Bool: for (int i = 0; i < values.Length; i++) b[i] = values[i] != 0 ? (byte)1 : (byte)0; break;
            case byte[] b: for (int i = 0; i < values.Length; i++) b[i] = (byte)Math.Clamp(values[i], 0, 255); break;
        }
        return result;
    }

    public Tensor @float() => to(DType.Float32);
}

public static partial class torch
{
    /// <summary>Elementwise <paramref name="condition"/> ? <paramref name="a"/> : <paramref name="b"/>, with broadcasting.</summary>
    public static Tensor where(Tensor condition, Tensor a, Tensor b)
    {
        Binary.CheckFloat("where", a, b);
        var shape = Shape.Broadcast("where", Shape.Broadcast("where", condition.shape, a.shape), b.shape);
        Tensor y, mask;
        using (GradMode.NoGrad())
        {
            mask = condition.to(DType.Float32).expand(shape).contiguous();
            var ae = a.expand(shape).contiguous();
            var be = b.expand(shape).contiguous();
            y = Tensor.Empty(shape, clear: false);
            var m = mask.Span;
            var av = ae.Span;
            var bv = be.Span;
            var yv = y.Span;
            for (int i = 0; i < yv.Length; i++) yv[i] = m[i] != 0 ? av[i] : bv[i];
        }
        return AutogradEngine.Record(y, "where", [a, b], g =>
        {
            var gc = g.contiguous();
            var inv = mask.mul(-1f).add(1f);
            return [gc.mul(mask).SumToShape(a.Shape_), gc.mul(inv).SumToShape(b.Shape_)];
        });
    }
}
