namespace Ganymede.NN;

/// <summary>
/// The benchmark and segmentation UNet of the PyTorch reference (unet_pytorch.py): encoder levels of two
/// [Conv 3x3 no bias → BatchNorm → ReLU] blocks at width base·2^i, max-pooling between them; a bottleneck
/// at base·2^depth; decoder levels of ConvTranspose 2x2 stride 2, concatenation [upsampled, skip], the
/// same two-conv block; a 1x1 head giving one logit per pixel. Dropout (when p > 0) follows every pool
/// and every concatenation. Submodule names match the PyTorch reference, so state dicts are interchangeable.
/// </summary>
public sealed class UNet : Module
{
    private readonly ModuleList _down;
    private readonly DoubleConv _bottleneck;
    private readonly ModuleList _up;
    private readonly ModuleList _dec;
    private readonly Conv2d _head;
    private readonly Dropout _drop;

    /// <param name="generator">Draws the initial weights and then the dropout masks; torch's default generator when null.</param>
    /// <param name="convBias">Whether the 3x3 convolutions have biases (the original Keras model's do; the reference's do not).</param>
    /// <param name="upKernel">Kernel of the upsampling transposed convolutions: 2 (the reference) or 3 (the original, padding "same").</param>
    public UNet(int inChannels = 1, int outChannels = 1, int baseWidth = 16, int depth = 4, float dropout = 0f, Generator? generator = null,
        bool convBias = false, int upKernel = 2)
    {
        if (upKernel is not (2 or 3)) throw new ArgumentException($"UNet: upKernel must be 2 or 3, got {upKernel}");
        if (inChannels <= 0 || outChannels <= 0 || baseWidth <= 0 || depth <= 0)
            throw new ArgumentException($"UNet: channels, base width and depth must be positive (in={inChannels}, out={outChannels}, base={baseWidth}, depth={depth})");
        (InChannels, OutChannels, BaseWidth, Depth, DropoutP, UpKernel) = (inChannels, outChannels, baseWidth, depth, dropout, upKernel);
        var widths = Enumerable.Range(0, depth + 1).Select(i => baseWidth << i).ToArray();
        _down = register_module("down", new ModuleList());
        int cin = inChannels;
        foreach (var w in widths[..^1])
        {
            _down.append(Block(cin, w, generator, convBias));
            cin = w;
        }
        _bottleneck = register_module("bottleneck", Block(widths[^2], widths[^1], generator, convBias));
        _up = register_module("up", new ModuleList());
        _dec = register_module("dec", new ModuleList());
        foreach (var w in widths[..^1].Reverse())
        {
            // A 3x3 kernel with stride 2 needs padding 1 and output_padding 1 to double the size, as Keras's padding "same".
            _up.append(upKernel == 2
                ? new ConvTranspose2d(w * 2, w, 2, stride: 2, generator: generator)
                : new ConvTranspose2d(w * 2, w, 3, stride: 2, padding: 1, output_padding: 1, generator: generator));
            _dec.append(Block(w * 2, w, generator, convBias));
        }
        _head = register_module("head", new Conv2d(widths[0], outChannels, 1, generator: generator));
        _drop = register_module("drop", new Dropout(dropout, generator));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int BaseWidth { get; }
    public int Depth { get; }
    public float DropoutP { get; }
    public int UpKernel { get; }

    /// <summary>The final 1x1 convolution (one logit per pixel and class).</summary>
    public Conv2d Head => _head;

    private static DoubleConv Block(int cin, int cout, Generator? generator, bool bias) => new(cin, cout, bias, generator);

    /// <summary>Logits [N, outChannels, H, W] for input [N, inChannels, H, W]; H and W must be multiples of 2^depth.</summary>
    public override Tensor forward(Tensor input)
    {
        int multiple = 1 << Depth;
        if (input.dim() != 4 || input.size(1) != InChannels || input.size(2) % multiple != 0 || input.size(3) % multiple != 0)
            throw new ShapeException($"UNet: expects input [N, {InChannels}, H, W] with H and W multiples of {multiple}, got [{string.Join(", ", input.shape)}]");
        var skips = new List<Tensor>();
        var x = input;
        for (int i = 0; i < _down.Count; i++)
        {
            x = _down[i].forward(x);
            skips.Add(x);
            x = _drop.forward(F.max_pool2d(x, 2));
        }
        x = _bottleneck.forward(x);
        for (int i = 0; i < _up.Count; i++)
        {
            x = _drop.forward(torch.cat([_up[i].forward(x), skips[^(i + 1)]], 1));
            x = _dec[i].forward(x);
        }
        return _head.forward(x);
    }

    /// <summary>Forward FLOPs (2 × multiply-adds of every convolution) for one image of the given size, as the reference counts them.</summary>
    public long ConvFlops(int height, int width)
    {
        long total = 0;
        int h = height, w = width, cin = InChannels;
        var widths = Enumerable.Range(0, Depth + 1).Select(i => (long)BaseWidth << i).ToArray();
        for (int i = 0; i < Depth; i++)
        {
            total += 2L * h * w * 9 * (cin * widths[i] + widths[i] * widths[i]);
            cin = (int)widths[i];
            h /= 2;
            w /= 2;
        }
        total += 2L * h * w * 9 * (widths[Depth - 1] * widths[Depth] + widths[Depth] * widths[Depth]);
        for (int i = Depth - 1; i >= 0; i--)
        {
            total += 2L * h * w * UpKernel * UpKernel * widths[i + 1] * widths[i];
            h *= 2;
            w *= 2;
            total += 2L * h * w * 9 * (2 * widths[i] * widths[i] + widths[i] * widths[i]);
        }
        return total + 2L * h * w * widths[0] * OutChannels;
    }
}
