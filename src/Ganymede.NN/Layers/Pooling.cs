namespace Ganymede.NN;

public sealed class MaxPool2d(int kernel_size, int? stride = null, int padding = 0, bool ceil_mode = false) : Module
{
    public int kernel_size { get; } = kernel_size;
    public int stride { get; } = stride ?? kernel_size;
    public int padding { get; } = padding;
    public bool ceil_mode { get; } = ceil_mode;

    public override Tensor forward(Tensor input) => F.max_pool2d(input, kernel_size, stride, padding, ceil_mode);
}

public sealed class AvgPool2d(int kernel_size, int? stride = null, int padding = 0, bool ceil_mode = false) : Module
{
    public int kernel_size { get; } = kernel_size;
    public int stride { get; } = stride ?? kernel_size;
    public int padding { get; } = padding;
    public bool ceil_mode { get; } = ceil_mode;

    public override Tensor forward(Tensor input) => F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode);
}

/// <summary>Scales H and W by an integer factor ("nearest" or "bilinear").</summary>
public sealed class Upsample(float scale_factor = 2, string mode = "nearest", bool align_corners = false) : Module
{
    public float scale_factor { get; } = scale_factor;
    public string mode { get; } = mode;

    public override Tensor forward(Tensor input) => F.interpolate(input, scale_factor, mode, align_corners);
}
