namespace Ganymede.NN;

public sealed class ReLU : Module
{
    public override Tensor forward(Tensor input) => input.relu();
}

public sealed class LeakyReLU(float negative_slope = 0.01f) : Module
{
    public float negative_slope { get; } = negative_slope;

    public override Tensor forward(Tensor input) => input.leaky_relu(negative_slope);
}

public sealed class Sigmoid : Module
{
    public override Tensor forward(Tensor input) => input.sigmoid();
}

public sealed class Tanh : Module
{
    public override Tensor forward(Tensor input) => input.tanh();
}

public sealed class Identity : Module
{
    public override Tensor forward(Tensor input) => input;
}

/// <summary>
/// Zeroes elements with probability p while training; the identity in evaluation. Draws from
/// <paramref name="generator"/> when given (so a training that owns it gets the same masks whatever else runs in the
/// process), else from torch's default generator.
/// </summary>
public sealed class Dropout(float p = 0.5f, Generator? generator = null) : Module
{
    public float p { get; } = p is >= 0 and <= 1 ? p : throw new ArgumentException($"Dropout: p must be in [0, 1], got {p}");

    public override Tensor forward(Tensor input) => F.dropout(input, p, training, generator);
}
