using System.Numerics;
using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>A float binary operation: its value and its partial derivatives, side by side.</summary>
internal interface IBinaryOp
{
    static abstract float Forward(float a, float b);

    /// <summary>The same value on a vector of lanes, each lane exactly as <see cref="Forward(float, float)"/> computes it.</summary>
    static abstract Vector<float> Forward(Vector<float> a, Vector<float> b);

    /// <summary>d(out)/d(a) at (a, b) with out = Forward(a, b).</summary>
    static abstract float DerivA(float a, float b, float y);

    static abstract float DerivB(float a, float b, float y);
}

internal struct AddOp : IBinaryOp
{
    public static float Forward(float a, float b) => a + b;
    public static Vector<float> Forward(Vector<float> a, Vector<float> b) => a + b;
    public static float DerivA(float a, float b, float y) => 1;
    public static float DerivB(float a, float b, float y) => 1;
}

internal struct SubOp : IBinaryOp
{
    public static float Forward(float a, float b) => a - b;
    public static Vector<float> Forward(Vector<float> a, Vector<float> b) => a - b;
    public static float DerivA(float a, float b, float y) => 1;
    public static float DerivB(float a, float b, float y) => -1;
}

internal struct MulOp : IBinaryOp
{
    public static float Forward(float a, float b) => a * b;
    public static Vector<float> Forward(Vector<float> a, Vector<float> b) => a * b;
    public static float DerivA(float a, float b, float y) => b;
    public static float DerivB(float a, float b, float y) => a;
}

internal struct DivOp : IBinaryOp
{
    public static float Forward(float a, float b) => a / b;
    public static Vector<float> Forward(Vector<float> a, Vector<float> b) => a / b;
    public static float DerivA(float a, float b, float y) => 1 / b;
    public static float DerivB(float a, float b, float y) => -y / b;
}

internal struct PowOp : IBinaryOp
{
    public static float Forward(float a, float b) => MathF.Pow(a, b);
    public static Vector<float> Forward(Vector<float> a, Vector<float> b) => Binary.ByLane<PowOp>(a, b);
    public static float DerivA(float a, float b, float y) => b == 0 ? 0 : b * MathF.Pow(a, b - 1);
    public static float DerivB(float a, float b, float y) => a > 0 ? y * MathF.Log(a) : 0;
}

internal struct MaximumOp : IBinaryOp
{
    public static float Forward(float a, float b) => MathF.Max(a, b);
    public static Vector<float> Forward(Vector<float> a, Vector<float> b) => Binary.ByLane<MaximumOp>(a, b);
    public static float DerivA(float a, float b, float y) => a > b ? 1 : a == b ? 0.5f : 0;
    public static float DerivB(float a, float b, float y) => b > a ? 1 : a == b ? 0.5f : 0;
}

internal struct MinimumOp : IBinaryOp
{
    public static float Forward(float a, float b) => MathF.Min(a, b);
    public static Vector<float> Forward(Vector<float> a, Vector<float> b) => Binary.ByLane<MinimumOp>(a, b);
    public static float DerivA(float a, float b, float y) => a < b ? 1 : a == b ? 0.5f : 0;
    public static float DerivB(float a, float b, float y) => b < a ? 1 : a == b ? 0.5f : 0;
}

/// <summary>Broadcasting binary kernels over plain buffers, and the recorded op that uses them.</summary>
internal static class Binary
{
    /// <summary>A vector lane by lane, for operations the vector instructions do not compute exactly as the scalar ones.</summary>
    public static Vector<float> ByLane<TOp>(Vector<float> a, Vector<float> b) where TOp : struct, IBinaryOp
    {
        Span<float> y = stackalloc float[Vector<float>.Count];
        for (int i = 0; i < y.Length; i++) y[i] = TOp.Forward(a[i], b[i]);
        return new Vector<float>(y);
    }

    /// <summary>y[i] = op(a[i], b[i]) over spans of one length: whole vectors, then the tail.</summary>
    private static void Elementwise<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) where TOp : struct, IBinaryOp
    {
        int i = 0;
        for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
            TOp.Forward(new Vector<float>(a[i..]), new Vector<float>(b[i..])).CopyTo(y[i..]);
        for (; i < y.Length; i++) y[i] = TOp.Forward(a[i], b[i]);
    }

    public static Tensor Apply<TOp>(string name, Tensor a, Tensor b) where TOp : struct, IBinaryOp
    {
        CheckFloat(name, a, b);
        using var profile = Profiler.Scope(name);
        var outShape = Shape.Broadcast(name, a.Shape_.ToArray(), b.Shape_.ToArray());
        var y = Map<TOp>(a, b, outShape);
        Tracing.OpTrace.Record(name, [a, b], y);
        return AutogradEngine.Record(y, name, [a, b], g =>
        {
            Tensor? ga = a.RequiresGradFlag ? Grad<TOp>(a, b, y, g, true).SumToShape(a.Shape_) : null;
            Tensor? gb = b.RequiresGradFlag ? Grad<TOp>(a, b, y, g, false).SumToShape(b.Shape_) : null;
            return [ga, gb];
        });
    }

    private static Tensor Map<TOp>(Tensor a, Tensor b, int[] outShape) where TOp : struct, IBinaryOp
    {
        if (a.HasBlocked && b.HasBlocked && Shape.SameShape(a.Shape_, b.Shape_))
        {
            // Same shape, same layout: elementwise over the raw blocked memory, and the result stays blocked.
            var blocked = Tensor.EmptyBlocked(outShape);
            Elementwise<TOp>(a.Blocked, b.Blocked, blocked.Blocked);
            return blocked;
        }
        var y = Tensor.Empty(outShape, clear: false);
        var yd = y.Span;
        if (a.is_contiguous() && b.is_contiguous() && Shape.SameShape(a.Shape_, b.Shape_))
        {
            Elementwise<TOp>(a.Span, b.Span, yd);
            return y;
        }
        var run = new MapRun<TOp>(a.Floats, b.Floats, y.Floats);
        StridedLoops.ForEachRun(outShape, StridedLoops.BroadcastStrides(a, outShape), a.Offset,
            StridedLoops.BroadcastStrides(b, outShape), b.Offset, ref run);
        return y;
    }

    /// <summary>g * d(out)/d(a) (or d/db), at the output's shape; the caller sums it down to the input's shape.</summary>
    private static Tensor Grad<TOp>(Tensor a, Tensor b, Tensor y, Tensor g, bool wrtA) where TOp : struct, IBinaryOp
    {
        var outShape = y.Shape_;
        var ae = a.expand(outShape.ToArray()).contiguous();
        var be = b.expand(outShape.ToArray()).contiguous();
        var gc = g.contiguous();
        var result = Tensor.Empty(outShape.ToArray(), clear: false);
        var r = result.Span;
        var ad = ae.Span;
        var bd = be.Span;
        var yd = y.Span;
        var gd = gc.Span;
        if (wrtA)
            for (int i = 0; i < r.Length; i++) r[i] = gd[i] * TOp.DerivA(ad[i], bd[i], yd[i]);
        else
            for (int i = 0; i < r.Length; i++) r[i] = gd[i] * TOp.DerivB(ad[i], bd[i], yd[i]);
        return result;
    }

    private struct MapRun<TOp>(float[] a, float[] b, float[] y) : StridedLoops.IRun2 where TOp : struct, IBinaryOp
    {
        private long _out;

        public void Run(long offsetA, int strideA, long offsetB, int strideB, int count)
        {
            for (int i = 0; i < count; i++)
                y[_out + i] = TOp.Forward(a[offsetA + (long)i * strideA], b[offsetB + (long)i * strideB]);
            _out += count;
        }
    }

    public static void CheckFloat(string name, params Tensor[] tensors)
    {
        foreach (var t in tensors)
        {
            t.CheckAlive();
            if (t.dtype != DType.Float32)
                throw new DTypeException($"{name}: expects float32 tensors, got {t.dtype.Name()} of shape {Shape.Format(t.Shape_)}");
        }
    }
}
