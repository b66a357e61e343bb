namespace Ganymede.Autograd;

/// <summary>
/// One recorded operation in the autograd graph: the inputs it read and the function that turns the
/// gradient of its output into gradients of those inputs (null where an input needs none).
/// </summary>
internal sealed class GradNode(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
{
    public string Name { get; } = name;

    public Tensor[] Inputs { get; } = inputs;

    public Func<Tensor, Tensor?[]> Backward { get; } = backward;
}
