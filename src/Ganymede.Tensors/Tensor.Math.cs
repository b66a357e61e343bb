using Ganymede.Ops;

namespace Ganymede;

/// <summary>Elementwise functions and activations.</summary>
public sealed partial class Tensor
{
    public Tensor exp() => Unary.Apply("exp", this, new ExpOp());

    public Tensor log() => Unary.Apply("log", this, new LogOp());

    public Tensor sqrt() => Unary.Apply("sqrt", this, new SqrtOp());

    public Tensor abs() => Unary.Apply("abs", this, new AbsOp());

    public Tensor pow(float exponent) => Unary.Apply("pow", this, new PowScalarOp(exponent));

    public Tensor square() => pow(2f);

    public Tensor relu() => Activations.LeakyRelu(this, 0f, "relu");

    public Tensor leaky_relu(float negative_slope = 0.01f) => Activations.LeakyRelu(this, negative_slope, "leaky_relu");

    public Tensor sigmoid() => Unary.Apply("sigmoid", this, new SigmoidOp());

    public Tensor tanh() => Unary.Apply("tanh", this, new TanhOp());

    public Tensor clamp(float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"clamp: min {min} is greater than max {max}");
        return Unary.Apply("clamp", this, new ClampOp(min, max));
    }
}
