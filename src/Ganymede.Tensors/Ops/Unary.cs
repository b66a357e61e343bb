using Ganymede.Autograd;

namespace Ganymede.Ops;

/// <summary>A float function of one variable: its value and its backward (g times the derivative), side by side.</summary>
internal interface IUnaryOp
{
    float Forward(float x);

    /// <summary>The input gradient, given input x, output y and output gradient g.</summary>
    float Backward(float x, float y, float g);
}

internal readonly struct ExpOp : IUnaryOp
{
    public float Forward(float x) => MathF.Exp(x);
    public float Backward(float x, float y, float g) => g * y;
}

internal readonly struct LogOp : IUnaryOp
{
    public float Forward(float x) => MathF.Log(x);
    public float Backward(float x, float y, float g) => g / x;
}

internal readonly struct SqrtOp : IUnaryOp
{
    public float Forward(float x) => MathF.Sqrt(x);
    public float Backward(float x, float y, float g) => g * 0.5f / y;
}

internal readonly struct AbsOp : IUnaryOp
{
    public float Forward(float x) => MathF.Abs(x);
    public float Backward(float x, float y, float g) => x > 0 ? g : x < 0 ? -g : 0;
}

internal readonly struct SigmoidOp : IUnaryOp
{
    public float Forward(float x) => x >= 0 ? 1 / (1 + MathF.Exp(-x)) : MathF.Exp(x) / (1 + MathF.Exp(x));
    public float Backward(float x, float y, float g) => g * y * (1 - y);
}

internal readonly struct TanhOp : IUnaryOp
{
    public float Forward(float x) => MathF.Tanh(x);
    public float Backward(float x, float y, float g) => g * (1 - y * y);
}

internal readonly struct ClampOp(float min, float max) : IUnaryOp
{
    public float Forward(float x) => x < min ? min : x > max ? max : x;
    public float Backward(float x, float y, float g) => x >= min && x <= max ? g : 0;
}

internal readonly struct PowScalarOp(float exponent) : IUnaryOp
{
    public float Forward(float x) => exponent == 2 ? x * x : MathF.Pow(x, exponent);
    public float Backward(float x, float y, float g) => exponent == 0 ? 0 : g * exponent * MathF.Pow(x, exponent - 1);
}

internal static class Unary
{
    public static Tensor Apply<TOp>(string name, Tensor x, TOp op) where TOp : struct, IUnaryOp
    {
        Binary.CheckFloat(name, x);
        using var profile = Profiler.Scope(name);
        var xc = x.contiguous();
        var y = Tensor.Empty(x.shape, clear: false);
        var xs = xc.Span;
        var ys = y.Span;
        for (int i = 0; i < ys.Length; i++) ys[i] = op.Forward(xs[i]);
        Tracing.OpTrace.Record(name, [x], y);
        return AutogradEngine.Record(y, name, [x], g =>
        {
            var gc = g.contiguous();
            var dx = Tensor.Empty(x.shape, clear: false);
            var gs = gc.Span;
            var ds = dx.Span;
            var xs2 = xc.Span;
            var ys2 = y.Span;
            for (int i = 0; i < ds.Length; i++) ds[i] = op.Backward(xs2[i], ys2[i], gs[i]);
            return [dx];
        });
    }
}
