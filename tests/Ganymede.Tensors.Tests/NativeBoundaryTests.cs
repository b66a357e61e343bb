using Ganymede.Backends;

namespace Ganymede.Tensors.Tests;

/// <summary>A buffer shorter than its geometry says is an exception before any native call, never a write past its end.</summary>
public class NativeBoundaryTests
{
    private static readonly ConvGeometry Geometry = new(N: 2, C: 3, H: 8, W: 8, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1,
        PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 1, DilationW: 1, Groups: 1);

    [Fact]
    public void A_convolution_with_a_short_buffer_is_refused_naming_the_argument()
    {
        var backend = new NativeBackend();
        var x = new float[Geometry.InputSize];
        var w = new float[Geometry.WeightSize];
        var y = new float[Geometry.OutputSize];
        backend.Conv2dForward(Geometry, x, w, [], y); // the right sizes run
        var error = Assert.Throws<InvalidOperationException>(() => backend.Conv2dForward(Geometry, x, w, [], y.AsSpan(0, y.Length - 1)));
        Assert.Equal($"internal: oneDNN argument 17 needs {y.Length * 4} bytes, its buffer holds {(y.Length - 1) * 4}", error.Message);
        Assert.Throws<InvalidOperationException>(() => backend.Conv2dBackwardData(Geometry, w.AsSpan(1), y, x));
    }

    [Fact]
    public void Matrix_products_and_batch_norm_kernels_check_their_lengths()
    {
        var backend = new NativeBackend();
        var error = Assert.Throws<InvalidOperationException>(() => backend.Gemm(false, false, 2, 2, 3, new float[6], new float[5], 0, new float[4]));
        Assert.Equal("internal: the gemm B holds 5 values where its geometry needs 6", error.Message);
        Assert.Throws<InvalidOperationException>(() => Ops.BatchNormKernels.ChannelSums(new float[11], 2, 3, 2));
    }
}
