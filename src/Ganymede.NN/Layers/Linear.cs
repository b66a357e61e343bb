namespace Ganymede.NN;

/// <summary>y = x·Wᵀ + b, weight [out_features, in_features].</summary>
public sealed class Linear : Module
{
    public Linear(int in_features, int out_features, bool bias = true, Generator? generator = null)
    {
        var shape = new[] { out_features, in_features };
        float bound = Init.DefaultBound(shape);
        weight = register_parameter("weight", Init.uniform(shape, bound, generator));
        if (bias) this.bias = register_parameter("bias", Init.uniform([out_features], bound, generator));
    }

    public Tensor weight { get; }

    public Tensor? bias { get; }

    public override Tensor forward(Tensor input) => F.linear(input, weight, bias);
}
