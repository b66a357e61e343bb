using Ganymede.Backends;
using static Ganymede.Tests.TestUtil;

namespace Ganymede.NN.Tests;

/// <summary>
/// The UNet's DoubleConv fuses BatchNorm2d + ReLU while training; the fused pass must give what its layers give one
/// after the other (a Sequential of the same layers): outputs, every gradient and the running statistics, on both
/// backends (16 channels: blocked where the CPU prefers it).
/// </summary>
public class BatchNormReluFusionTests
{
    [Theory]
    [InlineData("native", 16)]
    [InlineData("native", 3)]
    [InlineData("reference", 16)]
    public void Fused_training_pass_equals_the_layers_one_by_one(string backend, int channels)
    {
        using var _ = Backend.With(backend == "native" ? new NativeBackend() : new ReferenceBackend());
        var input = Randn(1, 2, 2, 9, 7);
        var fused = Block(channels);
        var separate = Block(channels);
        separate.load_state_dict(fused.state_dict());

        var (fusedOut, fusedGrads) = Step(fused, input);
        var (separateOut, separateGrads) = Step(new Sequential([.. separate.Layers]), input);

        AssertClose(separateOut, fusedOut, 1e-5f, 1e-5f, "output");
        foreach (var (name, grad) in separateGrads) AssertClose(grad, fusedGrads[name], 1e-5f, 1e-4f, name);
        var fusedState = fused.state_dict();
        foreach (var (name, value) in separate.state_dict()) AssertClose(value.@float(), fusedState[name].@float(), 1e-6f, 1e-6f, name);
    }

    [Fact]
    public void Evaluation_runs_the_two_layers()
    {
        var block = Block(4);
        block.eval();
        var input = Randn(2, 1, 2, 5, 5);
        var expected = new Sequential([.. block.Layers]).forward(input);
        AssertClose(expected, block.forward(input), 0, 0, "output");
    }

    private static DoubleConv Block(int channels) => new(2, channels, generator: new Generator(3));

    private static (Tensor Output, Dictionary<string, Tensor> Grads) Step(Module block, Tensor input)
    {
        block.train();
        var y = block.forward(input);
        y.mul(Randn(5, y.shape)).sum().backward();
        return (y, block.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!));
    }
}
