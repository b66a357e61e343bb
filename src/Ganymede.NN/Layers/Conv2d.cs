namespace Ganymede.NN;

/// <summary>2-D convolution, weight [out_channels, in_channels/groups, k, k], PyTorch's default initialisation.</summary>
public sealed class Conv2d : Module
{
    public Conv2d(int in_channels, int out_channels, int kernel_size, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Generator? generator = null)
    {
        if (in_channels <= 0 || out_channels <= 0 || kernel_size <= 0 || groups <= 0 || in_channels % groups != 0 || out_channels % groups != 0)
            throw new ArgumentException($"Conv2d: invalid configuration in={in_channels} out={out_channels} kernel={kernel_size} groups={groups}");
        (this.in_channels, this.out_channels, this.kernel_size, this.stride, this.padding, this.dilation, this.groups) =
            (in_channels, out_channels, kernel_size, stride, padding, dilation, groups);
        var shape = new[] { out_channels, in_channels / groups, kernel_size, kernel_size };
        float bound = Init.DefaultBound(shape);
        weight = register_parameter("weight", Init.uniform(shape, bound, generator));
        if (bias) this.bias = register_parameter("bias", Init.uniform([out_channels], bound, generator));
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
        if (in_channels <= 0 || out_channels <= 0 || kernel_size <= 0 || groups <= 0 || in_channels % groups != 0 || out_channels % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: invalid configuration in={in_channels} out={out_channels} kernel={kernel_size} groups={groups}");
        (this.in_channels, this.out_channels, this.kernel_size, this.stride, this.padding, this.output_padding, this.groups, this.dilation) =
            (in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, dilation);
        var shape = new[] { in_channels, out_channels / groups, kernel_size, kernel_size };
        float bound = Init.DefaultBound(shape);
        weight = register_parameter("weight", Init.uniform(shape, bound, generator));
        if (bias) this.bias = register_parameter("bias", Init.uniform([out_channels], bound, generator));
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
