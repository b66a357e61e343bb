namespace Ganymede.NN;

/// <summary>2-D convolution, weight [out_channels, in_channels/groups, k, k], PyTorch's default initialisation.</summary>
public sealed class Conv2d : Module
{
    public Conv2d(int in_channels, int out_channels, int kernel_size, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Generator? generator = null)
    {
        var (w, b) = Init.Convolution("Conv2d", in_channels, out_channels, kernel_size, groups,
            [out_channels, in_channels / Math.Max(groups, 1), kernel_size, kernel_size], bias, generator);
        (this.in_channels, this.out_channels, this.kernel_size, this.stride, this.padding, this.dilation, this.groups) =
            (in_channels, out_channels, kernel_size, stride, padding, dilation, groups);
        weight = register_parameter("weight", w);
        if (b is not null) this.bias = register_parameter("bias", b);
    }

    public int in_channels { get; }
    public int out_channels { get; }
    public int kernel_size { get; }
    public int stride { get; }
    public int padding { get; }
    public int dilation { get; }
    public int groups { get; }

    public Tensor weight { get; }

    public Tensor? bias { get; }

    public override Tensor forward(Tensor input) => F.conv2d(input, weight, bias, stride, padding, dilation, groups);
}

/// <summary>Transposed 2-D convolution, weight [in_channels, out_channels/groups, k, k].</summary>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int in_channels, int out_channels, int kernel_size, int stride = 1, int padding = 0, int output_padding = 0,
        int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null)
    {
        var (w, b) = Init.Convolution("ConvTranspose2d", in_channels, out_channels, kernel_size, groups,
            [in_channels, out_channels / Math.Max(groups, 1), kernel_size, kernel_size], bias, generator);
        (this.in_channels, this.out_channels, this.kernel_size, this.stride, this.padding, this.output_padding, this.groups, this.dilation) =
            (in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, dilation);
        weight = register_parameter("weight", w);
        if (b is not null) this.bias = register_parameter("bias", b);
    }

    public int in_channels { get; }
    public int out_channels { get; }
    public int kernel_size { get; }
    public int stride { get; }
    public int padding { get; }
    public int output_padding { get; }
    public int groups { get; }
    public int dilation { get; }

    public Tensor weight { get; }

    public Tensor? bias { get; }

    public override Tensor forward(Tensor input) =>
        F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation);
}
