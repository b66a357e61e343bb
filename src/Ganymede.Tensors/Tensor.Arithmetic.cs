using Ganymede.Ops;

namespace Ganymede;

/// <summary>Elementwise arithmetic with broadcasting, as methods and operators.</summary>
public sealed partial class Tensor
{
    public Tensor add(Tensor other) => Binary.Apply<AddOp>("add", this, other);

    public Tensor sub(Tensor other) => Binary.Apply<SubOp>("sub", this, other);

    public Tensor mul(Tensor other) => Binary.Apply<MulOp>("mul", this, other);

    public Tensor div(Tensor other) => Binary.Apply<DivOp>("div", this, other);

    public Tensor pow(Tensor exponent) => Binary.Apply<PowOp>("pow", this, exponent);

    public Tensor maximum(Tensor other) => Binary.Apply<MaximumOp>("maximum", this, other);

    public Tensor minimum(Tensor other) => Binary.Apply<MinimumOp>("minimum", this, other);

    public Tensor add(float value) => add(torch.scalar_tensor(value));

    public Tensor sub(float value) => add(-value);

    public Tensor mul(float value) => mul(torch.scalar_tensor(value));

    public Tensor div(float value) => mul(1f / value);

    public Tensor neg() => mul(-1f);

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);

    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);

    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);

    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);

    public static Tensor operator +(Tensor a, float b) => a.add(b);

    public static Tensor operator +(float a, Tensor b) => b.add(a);

    public static Tensor operator -(Tensor a, float b) => a.sub(b);

    public static Tensor operator -(float a, Tensor b) => b.neg().add(a);

    public static Tensor operator *(Tensor a, float b) => a.mul(b);

    public static Tensor operator *(float a, Tensor b) => b.mul(a);

    public static Tensor operator /(Tensor a, float b) => a.div(b);

    public static Tensor operator /(float a, Tensor b) => torch.scalar_tensor(a).div(b);

    public static Tensor operator -(Tensor a) => a.neg();

    /// <summary>In place: this += other (broadcast to this shape). Not recorded; used for gradient accumulation and optimizers.</summary>
    public Tensor add_(Tensor other, float alpha = 1f)
    {
        Binary.CheckFloat("add_", this, other);
        BeginInPlace("add_");
        Shape.Broadcast("add_", _shape, other._shape);
        var src = other.expand(_shape).contiguous();
        if (!is_contiguous()) throw new InvalidOperationException("add_: destination must be contiguous");
        var d = Span;
        var s = src.Span;
        for (int i = 0; i < d.Length; i++) d[i] += alpha * s[i];
        MarkWritten();
        return this;
    }

    /// <summary>In place: this *= value.</summary>
    public Tensor mul_(float value)
    {
        BeginInPlace("mul_");
        if (!is_contiguous())
            using (Autograd.GradMode.NoGrad()) return copy_(mul(value));
        var d = Span;
        for (int i = 0; i < d.Length; i++) d[i] *= value;
        MarkWritten();
        return this;
    }

    /// <summary>In place: every element set to <paramref name="value"/>.</summary>
    public Tensor fill_(float value)
    {
        BeginInPlace("fill_");
        if (!is_contiguous()) return copy_(torch.scalar_tensor(value).to(dtype));
        Span.Fill(value);
        MarkWritten();
        return this;
    }

    public Tensor zero_() => fill_(0f);
}
