using Ganymede.Backends;
using Ganymede.Native;
using Ganymede.Tests;
using static Ganymede.Tests.TestUtil;

namespace Ganymede.Tensors.Tests;

/// <summary>The oneDNN/OpenBLAS backend against the managed reference, forward and backward, over many shapes.</summary>
public class NativeBackendTests
{
    private static readonly NativeBackend Native = new();
    private static readonly ReferenceBackend Reference = new();

    public static TheoryData<int, int, int, int, int, int, int, int, int, int> ConvShapes => new()
    {
        // n, c, h, w, k, kernel, stride, padding, dilation, groups
        { 1, 1, 5, 5, 1, 3, 1, 1, 1, 1 },
        { 2, 3, 7, 9, 5, 3, 1, 1, 1, 1 },
        { 3, 16, 13, 11, 8, 3, 2, 1, 1, 1 },
        { 2, 4, 10, 10, 6, 5, 1, 2, 2, 2 },
        { 1, 8, 6, 7, 8, 1, 1, 0, 1, 4 },
        { 2, 32, 17, 15, 16, 3, 1, 1, 1, 1 },
        { 2, 32, 19, 13, 48, 3, 1, 1, 1, 1 }, // Winograd forward and backward-data (both channel counts ≥ 32)
        { 1, 6, 9, 4, 3, 2, 2, 0, 1, 3 },
    };

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Conv2d_matches_reference(int n, int c, int h, int w, int k, int kernel, int stride, int padding, int dilation, int groups)
    {
        var x = Randn(1, n, c, h, w);
        var wt = Randn(2, k, c / groups, kernel, kernel);
        var b = Randn(3, k);
        var (yn, gn) = Run(Native, x, wt, b, t => F.conv2d(t[0], t[1], t[2], stride, padding, dilation, groups));
        var (yr, gr) = Run(Reference, x, wt, b, t => F.conv2d(t[0], t[1], t[2], stride, padding, dilation, groups));
        AssertClose(yr, yn, 1e-3f, 1e-3f, "output");
        for (int i = 0; i < 3; i++) AssertClose(gr[i], gn[i], 2e-3f, 1e-3f, $"grad {i}");
    }

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void Conv2d_at_medium_precision_matches_reference_to_bfloat16_accuracy(int n, int c, int h, int w, int k, int kernel, int stride,
        int padding, int dilation, int groups)
    {
        var x = Randn(1, n, c, h, w);
        var wt = Randn(2, k, c / groups, kernel, kernel);
        var b = Randn(3, k);
        Tensor Conv(Tensor[] t) => F.conv2d(t[0], t[1], t[2], stride, padding, dilation, groups);
        var (yr, gr) = Run(Reference, x, wt, b, Conv);
        Tensor yn;
        Tensor[] gn;
        using (Float32Precision.With("medium")) (yn, gn) = Run(Native, x, wt, b, Conv);
        bool bfloat16 = Math.Min(c, k) >= NativeBackend.MinBfloat16Channels; // thinner convolutions stay float32
        AssertCloseToBfloat16(yr, yn, "output", bfloat16);
        for (int i = 0; i < 3; i++) AssertCloseToBfloat16(gr[i], gn[i], $"grad {i}", bfloat16);
    }

    /// <summary>
    /// Primitives are built once and then run on whatever thread the work lands on. oneDNN's default scratchpad belongs
    /// to the thread that built a primitive, and a bfloat16 convolution on 4 and 8 channels needs one: run on a fresh
    /// thread, it wrote through a scratchpad that thread did not have and corrupted the heap.
    /// </summary>
    [Fact]
    public void A_convolution_built_on_one_thread_runs_on_another()
    {
        var x = Randn(10, 2, 4, 12, 12);
        var wt = Randn(11, 8, 4, 3, 3);
        var b = Randn(12, 8);
        Tensor Conv(Tensor[] t) => F.conv2d(t[0], t[1], t[2], 1, 1, 1, 1);
        var (yr, gr) = Run(Reference, x, wt, b, Conv);
        var backend = new NativeBackend();
        (Tensor Output, Tensor[] Grads) OnFreshThread()
        {
            (Tensor, Tensor[]) result = default;
            var thread = new Thread(() =>
            {
                using (Float32Precision.With("medium")) result = Run(backend, x, wt, b, Conv);
            });
            thread.Start();
            thread.Join();
            return result;
        }
        var built = OnFreshThread();
        var reused = OnFreshThread();
        foreach (var (y, g) in new[] { built, reused })
        {
            AssertCloseToBfloat16(yr, y, "output");
            for (int i = 0; i < 3; i++) AssertCloseToBfloat16(gr[i], g[i], $"grad {i}");
        }
        Assert.Equal(built.Output.ToArray(), reused.Output.ToArray());
    }

    [Fact]
    public void Conv_transpose2d_at_medium_precision_matches_reference_to_bfloat16_accuracy()
    {
        var x = Randn(4, 2, 32, 7, 9);
        var wt = Randn(5, 32, 16, 2, 2);
        var b = Randn(6, 16);
        Tensor ConvT(Tensor[] t) => F.conv_transpose2d(t[0], t[1], t[2], 2, 0, 0);
        var (yr, gr) = Run(Reference, x, wt, b, ConvT);
        Tensor yn;
        Tensor[] gn;
        using (Float32Precision.With("medium")) (yn, gn) = Run(Native, x, wt, b, ConvT);
        AssertCloseToBfloat16(yr, yn, "output");
        for (int i = 0; i < 2; i++) AssertCloseToBfloat16(gr[i], gn[i], $"grad {i}");
        AssertClose(gr[2], gn[2], 1e-3f, 1e-3f, "grad 2"); // the bias gradient is a plain sum, in float32
    }

    [Fact]
    public void An_unknown_precision_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => torch.set_float32_matmul_precision("low"));
        Assert.Contains("'low'", error.Message);
        Assert.Contains("medium", error.Message);
        Assert.Equal("highest", torch.get_float32_matmul_precision());
    }

    /// <summary>
    /// Rounding both inputs to bfloat16 (8 significant bits) errs by about 0.4% of a typical product; over sums of
    /// products with random signs that is well within 3% of the output's typical size. Where bfloat16 applies, on a
    /// CPU with its instructions, the result must also differ from float32's, or the bfloat16 kernels did not run.
    /// </summary>
    private static void AssertCloseToBfloat16(Tensor expected, Tensor actual, string what, bool bfloat16 = true)
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        float typical = MathF.Sqrt(e.Average(v => v * v));
        AssertClose(e, a, 0.03f * typical, 0.03f, what);
        if (bfloat16 && NativeBackend.HasBfloat16)
            Assert.True(e.Zip(a).Max(p => Math.Abs(p.First - p.Second)) > 1e-5f * typical, $"{what}: exactly float32's result");
    }

    [Theory]
    [InlineData(2, 8, 4, 4, 4, 2, 2, 0, 0)]
    [InlineData(1, 3, 5, 3, 2, 3, 2, 1, 1)]
    [InlineData(2, 16, 7, 9, 8, 2, 2, 0, 0)]
    [InlineData(1, 4, 6, 6, 5, 3, 1, 1, 0)]
    public void Conv_transpose2d_matches_reference(int n, int c, int h, int w, int k, int kernel, int stride, int padding, int outputPadding)
    {
        var x = Randn(4, n, c, h, w);
        var wt = Randn(5, c, k, kernel, kernel);
        var b = Randn(6, k);
        var (yn, gn) = Run(Native, x, wt, b, t => F.conv_transpose2d(t[0], t[1], t[2], stride, padding, outputPadding));
        var (yr, gr) = Run(Reference, x, wt, b, t => F.conv_transpose2d(t[0], t[1], t[2], stride, padding, outputPadding));
        AssertClose(yr, yn, 1e-3f, 1e-3f, "output");
        for (int i = 0; i < 3; i++) AssertClose(gr[i], gn[i], 2e-3f, 1e-3f, $"grad {i}");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 5)]
    [InlineData(64, 33, 129)]
    public void Matmul_matches_reference(int m, int k, int n)
    {
        var a = Randn(7, m, k);
        var b = Randn(8, k, n);
        var (yn, gn) = Run(Native, a, b, null, t => t[0].matmul(t[1]));
        var (yr, gr) = Run(Reference, a, b, null, t => t[0].matmul(t[1]));
        AssertClose(yr, yn, 1e-3f, 1e-3f, "output");
        for (int i = 0; i < 2; i++) AssertClose(gr[i], gn[i], 1e-3f, 1e-3f, $"grad {i}");
    }

    [Theory]
    [InlineData(2, 48, 3, 5, 16, 32)] // the blocked layout's case: whole channel blocks
    [InlineData(3, 7, 2, 3, 2, 4)]
    [InlineData(1, 5, 4, 1, 0, 5)]
    public void Channel_slice_copies_match_reference_and_touch_nothing_else(int n, int c, int h, int w, int offset, int count)
    {
        var slice = new ChannelSlice(n, c, h, w, offset, count);
        var part = Randn(10, n, count, h, w).ToArray();
        var whole = Randn(11, n, c, h, w).ToArray();
        foreach (bool intoWhole in new[] { true, false })
        {
            var (from, length) = intoWhole ? (part, whole.Length) : (whole, part.Length);
            // Each backend writes over a copy of the same values, so anything outside the slice must come back unchanged.
            var native = intoWhole ? (float[])whole.Clone() : new float[length];
            var reference = (float[])native.Clone();
            Native.CopyChannelSlice(slice, from, native, intoWhole);
            Reference.CopyChannelSlice(slice, from, reference, intoWhole);
            Assert.Equal(reference, native);
        }
        var joined = (float[])whole.Clone();
        Native.CopyChannelSlice(slice, part, joined, intoWhole: true);
        int plane = h * w;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (b * c + ch) * plane + p;
                    float expected = ch >= offset && ch < offset + count ? part[(b * count + ch - offset) * plane + p] : whole[at];
                    Assert.Equal(expected, joined[at]);
                }
    }

    [Fact]
    public void OpenBlas_uses_avx512_kernels_when_the_cpu_has_them()
    {
        // The environment exports OPENBLAS_CORETYPE=Haswell; the engine must undo that before OpenBLAS loads.
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return;
        Native.Gemm(false, false, 1, 1, 1, [1f], [1f], 0f, new float[1]);
        Assert.NotEqual("Haswell", OpenBlas.CoreName);
    }

    private static (Tensor Output, Tensor[] Grads) Run(IBackend backend, Tensor a, Tensor b, Tensor? c, Func<Tensor[], Tensor> f)
    {
        using var _ = Backend.With(backend);
        var inputs = (c is null ? new[] { a, b } : [a, b, c]).Select(t => { var l = t.clone(); l.requires_grad = true; return l; }).ToArray();
        var y = f(inputs);
        y.mul(Randn(9, y.shape)).sum().backward();
        return (y, inputs.Select(t => t.grad!).ToArray());
    }
}
