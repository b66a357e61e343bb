using Ganymede.Backends;
using static Ganymede.Tests.TestUtil;

namespace Ganymede.NN.Tests;

/// <summary>
/// With 16-channel multiples the native backend keeps activations in the blocked nChw16c layout through
/// conv, batch norm, ReLU, pooling and concatenation; the results must equal the plain reference backend's.
/// </summary>
public class BlockedLayoutTests
{
    [Fact]
    public void UNet_forward_and_gradients_match_the_reference_backend()
    {
        var input = Randn(3, 2, 1, 16, 16);
        var target = torch.rand([2, 1, 16, 16], new Generator(4)).gt(0.5f).@float();
        var (nativeOut, nativeGrads) = Run(new NativeBackend(), input, target);
        var (referenceOut, referenceGrads) = Run(new ReferenceBackend(), input, target);
        AssertClose(referenceOut, nativeOut, 1e-3f, 1e-3f, "logits");
        foreach (var (name, grad) in referenceGrads)
            AssertClose(grad, nativeGrads[name], 1e-3f, 5e-3f, name);
    }

    private static (Tensor Output, Dictionary<string, Tensor> Grads) Run(IBackend backend, Tensor input, Tensor target)
    {
        using var _ = Backend.With(backend);
        using var model = new UNet(1, 1, baseWidth: 16, depth: 2, generator: new Generator(11));
        var logits = model.forward(input);
        F.binary_cross_entropy_with_logits(logits, target).backward();
        return (logits, model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
    }
}
