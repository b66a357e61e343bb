namespace Ganymede.Autograd;

/// <summary>
/// One recorded operation in the autograd graph: the inputs it read and the function that turns the
/// gradient of its output into gradients of those inputs (null where an input needs none).
/// </summary>
/// <remarks>
/// A backward function reads its inputs' (and its output's) values, so the node keeps the versions those tensors' memory
/// had when it was recorded; if one was changed in place since, backward refuses with PyTorch's error instead of
/// computing a wrong gradient from the new values.
/// </remarks>
internal sealed class GradNode(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward, Tensor output)
{
    private readonly int[] _versions = [.. inputs.Select(t => t._version), output._version];

    public string Name { get; } = name;

    public Tensor[] Inputs { get; } = inputs;

    public Func<Tensor, Tensor?[]> Backward { get; } = backward;

    /// <summary>Throws when a tensor this node's backward reads was modified in place after it was recorded.</summary>
    public void CheckVersions(Tensor output)
    {
        for (int i = 0; i <= Inputs.Length; i++)
        {
            var t = i < Inputs.Length ? Inputs[i] : output;
            if (t._version == _versions[i]) continue;
            throw new InvalidOperationException(
                $"one of the variables needed for gradient computation has been modified by an inplace operation: [{t.dtype.Name()} {Shape.Format(t.Shape_)}], " +
                $"which is {(i < Inputs.Length ? $"input {i}" : "the output")} of {Name}, is at version {t._version}; expected version {_versions[i]} instead");
        }
    }
}
