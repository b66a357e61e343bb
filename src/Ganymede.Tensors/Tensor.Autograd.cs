using Ganymede.Autograd;
using Ganymede.Ops;

namespace Ganymede;

public sealed partial class Tensor
{
    /// <summary>
    /// Computes gradients of this tensor (a scalar, unless <paramref name="gradient"/> is given) with respect to
    /// every leaf that requires grad, adding them to each leaf's <see cref="grad"/>. The graph is freed afterwards.
    /// </summary>
    public void backward(Tensor? gradient = null) => AutogradEngine.Backward(this, gradient);

    /// <summary>Matrix product (2-D, batched 3-D, or N-D times 2-D).</summary>
    public Tensor matmul(Tensor other) => Tracing.OpTrace.Composite("matmul", [this, other], () => MatMul.Apply(this, other));
}
