namespace Ganymede.NN;

/// <summary>Weight initialisation as torch.nn.init and PyTorch's layer defaults.</summary>
public static class Init
{
    /// <summary>Uniform in [−bound, bound).</summary>
    public static Tensor uniform(int[] shape, float bound, Generator? generator = null) =>
        torch.rand(shape, generator).mul(2 * bound).sub(bound);

    /// <summary>
    /// PyTorch's default for Linear and Conv weights, kaiming_uniform_(a=√5): bound = 1/√fan_in, where
    /// fan_in = shape[1]·(product of the kernel dimensions). The same bound serves biases.
    /// </summary>
    public static float DefaultBound(int[] weightShape)
    {
        int fanIn = weightShape[1];
        for (int i = 2; i < weightShape.Length; i++) fanIn *= weightShape[i];
        return 1f / MathF.Sqrt(Math.Max(1, fanIn));
    }

    /// <summary>
    /// Checks a convolution's configuration and makes its weight (of <paramref name="weightShape"/>) and optional bias
    /// [<paramref name="outChannels"/>], both with PyTorch's default bound.
    /// </summary>
    internal static (Tensor Weight, Tensor? Bias) Convolution(string layer, int inChannels, int outChannels, int kernel, int groups,
        int[] weightShape, bool bias, Generator? generator)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{layer}: invalid configuration in={inChannels} out={outChannels} kernel={kernel} groups={groups}");
        float bound = DefaultBound(weightShape);
        return (uniform(weightShape, bound, generator), bias ? uniform([outChannels], bound, generator) : null);
    }
}
