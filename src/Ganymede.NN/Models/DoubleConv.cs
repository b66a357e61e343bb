namespace Ganymede.NN;

/// <summary>
/// The UNet's block: two [Conv 3x3 → BatchNorm → ReLU]. Its layers are named "0" to "5", as in the reference's
/// nn.Sequential, so state dicts are interchangeable. While training, each batch norm and the ReLU after it run as one
/// fused operation: the same values and gradients, with one pass over the activation less each way. In evaluation
/// they run one after the other, as exporters and tracers see them.
/// </summary>
public sealed class DoubleConv : Module
{
    private readonly Conv2d _conv1, _conv2;
    private readonly BatchNorm2d _norm1, _norm2;
    private readonly ReLU _relu1, _relu2;

    public DoubleConv(int inChannels, int outChannels, bool bias = false, Generator? generator = null)
    {
        _conv1 = register_module("0", new Conv2d(inChannels, outChannels, 3, padding: 1, bias: bias, generator: generator));
        _norm1 = register_module("1", new BatchNorm2d(outChannels));
        _relu1 = register_module("2", new ReLU());
        _conv2 = register_module("3", new Conv2d(outChannels, outChannels, 3, padding: 1, bias: bias, generator: generator));
        _norm2 = register_module("4", new BatchNorm2d(outChannels));
        _relu2 = register_module("5", new ReLU());
    }

    /// <summary>The six layers in order (what an unfused pass runs one by one).</summary>
    public IReadOnlyList<Module> Layers => [_conv1, _norm1, _relu1, _conv2, _norm2, _relu2];

    public override Tensor forward(Tensor input) => NormRelu(_norm2, _relu2, _conv2.forward(NormRelu(_norm1, _relu1, _conv1.forward(input))));

    private static Tensor NormRelu(BatchNorm2d norm, ReLU relu, Tensor x) => norm.training ? norm.ForwardWithRelu(x) : relu.forward(norm.forward(x));
}
