using System.Collections.Concurrent;
using Ganymede.Native;
using Ganymede.Storage;

namespace Ganymede.Backends;

/// <summary>
/// oneDNN for convolutions, OpenBLAS for matrix products. Primitives are built once per shape and
/// cached. Both libraries thread over the two cores themselves; they are only ever called from one
/// managed thread at a time, so no library's threads run inside another's (see cpu-performance.md §3).
/// </summary>
public sealed unsafe partial class NativeBackend : IBackend
{
    private enum ConvPass { Forward, BackwardData, BackwardWeights }

    private readonly DnnlContext _dnnl;
    private readonly ConcurrentDictionary<ConvKey, DnnlPrimitive> _convs = new();
    private readonly ConcurrentDictionary<int, DnnlPrimitive> _toBfloat16 = new();
    private readonly Lock _executeLock = new();

    public NativeBackend()
    {
        var missing = NativeLibraries.Probe();
        if (missing is not null) throw new DllNotFoundException(missing);
        _dnnl = new DnnlContext();
    }

    public string Name => "native";

    /// <summary>
    /// Whether this CPU has AVX-512 bfloat16 instructions; without them oneDNN's bfloat16 convolutions are slow
    /// emulations, so "medium" precision stays float32.
    /// </summary>
    public static bool HasBfloat16 => BfloatInstructions.Value;

    // Lazy: asked only after the constructor has checked that oneDNN is installed.
    private static readonly Lazy<bool> BfloatInstructions = new(() => (Dnnl.dnnl_get_effective_cpu_isa() & Dnnl.IsaAvx512Bf16) == Dnnl.IsaAvx512Bf16);

    /// <summary>
    /// At "medium" precision, on a CPU with the instructions, convolutions run on bfloat16 inputs, except the thin ones
    /// at a network's ends (fewer than <see cref="MinBfloat16Channels"/> channels in or out: an image read, a few classes
    /// written), which keep float32. On the UNet, float32 there scored a higher Dice on every fold of a cross-validation
    /// (docs/recipe-evidence.md), at the same speed.
    /// </summary>
    private static bool UsesBfloat16(in ConvGeometry g) => Float32Precision.AllowsBfloat16 && HasBfloat16 && Math.Min(g.C, g.K) >= MinBfloat16Channels;

    public const int MinBfloat16Channels = 4;

    /// <summary>
    /// oneDNN's AVX-512 kernels use 16-channel blocks; activations with such channel counts stay blocked there. Without
    /// AVX-512 (AVX2 CPUs, whose kernels block by 8) oneDNN has no fast batch norm or pooling on 16-channel blocks, so
    /// activations stay plain and each primitive picks its own layout.
    /// </summary>
    public bool PrefersBlocked(int channels) => HasAvx512 && channels % 16 == 0;

    private static readonly bool HasAvx512 = System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    /// <summary>
    /// On the calling thread. oneDNN's OpenMP threads stay on the cores between primitives (they spin a while before they
    /// sleep); .NET thread-pool workers started beside them take a core from one, and the next primitive waits for it.
    /// The managed kernels between primitives move little memory, so one thread does them sooner than two that fight.
    /// </summary>
    public void For(int count, Action<int> body)
    {
        for (int i = 0; i < count; i++) body(i);
    }

    /// <summary>OpenBLAS's kernel family and threading, for start-up logs ("Cooperlake", 1 = pthreads).</summary>
    public static string Describe() =>
        $"openblas core={OpenBlas.CoreName} threads={OpenBlas.openblas_get_num_threads()} parallel={OpenBlas.openblas_get_parallel()}";

    public void Gemm(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        if (m == 0 || n == 0) return;
        NativeChecks.Require("gemm A", a.Length, (long)m * k);
        NativeChecks.Require("gemm B", b.Length, (long)k * n);
        NativeChecks.Require("gemm C", c.Length, (long)m * n);
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            OpenBlas.cblas_sgemm(OpenBlas.RowMajor, transA ? OpenBlas.Trans : OpenBlas.NoTrans, transB ? OpenBlas.Trans : OpenBlas.NoTrans,
                m, n, k, 1f, pa, transA ? m : k, pb, transB ? k : n, beta, pc, n);
        }
    }

    /// <summary>What the convolution's passes read of x on bfloat16: all of it, converted.</summary>
    public int ConvertedInputLength(in ConvGeometry g) => UsesBfloat16(g) ? g.N * g.C * g.H * g.W : 0;

    public void Conv2dForward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<ushort> convertedX = default)
    {
        bool hasBias = !bias.IsEmpty, givenX = !convertedX.IsEmpty;
        var p = Conv(ConvPass.Forward, g, hasBias, givenX, givenDy: false);
        fixed (float* px = x) fixed (ushort* pxb = convertedX) fixed (float* pw = w) fixed (float* pb = bias) fixed (float* py = y)
        {
            var input = givenX ? NativeBuffer.Of(pxb, convertedX.Length) : NativeBuffer.Of(px, x.Length);
            Span<NativeBuffer> buffers = hasBias
                ? [input, NativeBuffer.Of(pw, w.Length), NativeBuffer.Of(pb, bias.Length), NativeBuffer.Of(py, y.Length)]
                : [input, NativeBuffer.Of(pw, w.Length), NativeBuffer.Of(py, y.Length)];
            lock (_executeLock)
            {
                if (givenX) ToBfloat16(px, x.Length, pxb);
                p.Execute(buffers);
            }
        }
    }

    public void Conv2dBackwardData(in ConvGeometry g, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx) =>
        Conv2dBackward(g, default, w, dy, dx, default, default);

    /// <summary>
    /// Both backward passes read dy. On bfloat16 they read it converted, so it is converted once here for both, instead
    /// of once by each pass's own reorder; and backward-weights reads x as the forward pass converted it, when given.
    /// </summary>
    public void Conv2dBackward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dw, Span<float> dbias,
        ReadOnlySpan<ushort> convertedX = default)
    {
        bool data = !dx.IsEmpty, weights = !dw.IsEmpty, hasBias = !dbias.IsEmpty;
        bool givenX = weights && !convertedX.IsEmpty, givenDy = data && weights && UsesBfloat16(g);
        var backwardData = data ? Conv(ConvPass.BackwardData, g, false, givenX: false, givenDy) : null;
        var backwardWeights = weights ? Conv(ConvPass.BackwardWeights, g, hasBias, givenX, givenDy) : null;
        var dyBfloat16 = givenDy ? BufferPool.RentAligned<ushort>(dy.Length) : default;
        try
        {
            fixed (float* px = x) fixed (ushort* pxb = convertedX) fixed (float* pw = w) fixed (float* pdy = dy) fixed (ushort* pdyb = dyBfloat16.AsSpan())
            fixed (float* pdx = dx) fixed (float* pdw = dw) fixed (float* pdb = dbias)
            {
                var gradient = givenDy ? NativeBuffer.Of(pdyb, dy.Length) : NativeBuffer.Of(pdy, dy.Length);
                var input = givenX ? NativeBuffer.Of(pxb, convertedX.Length) : NativeBuffer.Of(px, x.Length);
                Span<NativeBuffer> weightBuffers = hasBias
                    ? [input, gradient, NativeBuffer.Of(pdw, dw.Length), NativeBuffer.Of(pdb, dbias.Length)]
                    : [input, gradient, NativeBuffer.Of(pdw, dw.Length)];
                lock (_executeLock)
                {
                    if (givenDy) ToBfloat16(pdy, dy.Length, pdyb);
                    backwardData?.Execute([gradient, NativeBuffer.Of(pw, w.Length), NativeBuffer.Of(pdx, dx.Length)]);
                    backwardWeights?.Execute(weightBuffers);
                }
            }
        }
        finally
        {
            if (givenDy) BufferPool.Return(dyBfloat16.Array!);
        }
    }

    /// <summary>Converts with the caller holding the execution lock.</summary>
    private void ToBfloat16(float* from, int length, ushort* to) =>
        _toBfloat16.GetOrAdd(length, BuildToBfloat16).Execute([NativeBuffer.Of(from, length), NativeBuffer.Of(to, length)]);

    /// <param name="givenX">x comes already converted to bfloat16 (in the user's layout).</param>
    /// <param name="givenDy">dy comes already converted to bfloat16 (in the user's layout).</param>
    private DnnlPrimitive Conv(ConvPass pass, in ConvGeometry g, bool hasBias, bool givenX, bool givenDy) =>
        _convs.GetOrAdd(new ConvKey(pass, g, hasBias, UsesBfloat16(g), givenX, givenDy), BuildConv);

    private readonly record struct ConvKey(ConvPass Pass, ConvGeometry Geometry, bool HasBias, bool Bfloat16, bool GivenX, bool GivenDy);

    /// <summary>float32 to bfloat16, elementwise (so any layout), as the convolutions' own reorders round.</summary>
    private DnnlPrimitive BuildToBfloat16(int length)
    {
        long[] dims = [length];
        var from = Dnnl.Plain(dims, Dnnl.TagA);
        var to = Dnnl.Plain(dims, Dnnl.TagA, Dnnl.Bf16);
        Dnnl.Check(Dnnl.dnnl_reorder_primitive_desc_create(out var pd, &from, _dnnl.Engine, &to, _dnnl.Engine, _dnnl.Attributes), "reorder to bfloat16");
        return new DnnlPrimitive(_dnnl, pd, [new(Dnnl.ArgFrom, Dnnl.QuerySrcMd, dims, false), new(Dnnl.ArgTo, Dnnl.QueryDstMd, dims, true, UserType: Dnnl.Bf16)]);
    }

    private DnnlPrimitive BuildConv(ConvKey key)
    {
        var (pass, g, hasBias, bf16) = (key.Pass, key.Geometry, key.HasBias, key.Bfloat16);
        int xType = key.GivenX ? Dnnl.Bf16 : Dnnl.F32, dyType = key.GivenDy ? Dnnl.Bf16 : Dnnl.F32;
        long[] src = [g.N, g.C, g.H, g.W];
        long[] dst = [g.N, g.K, g.OutH, g.OutW];
        long[] wts = g.Groups == 1 ? [g.K, g.C, g.R, g.S] : [g.Groups, g.K / g.Groups, g.C / g.Groups, g.R, g.S];
        long[] bias = [g.K];
        // With bfloat16, each pass reads its two inputs as bfloat16 (the reorders from the user's float32 buffers convert
        // them) and writes its output as float32. The forward descriptor is also the backward passes' hint, so it has the
        // forward pass's types.
        int Type(bool input) => bf16 && input ? Dnnl.Bf16 : Dnnl.F32;
        bool nhwc = ChannelsLastFits(g);
        int activations = nhwc ? Dnnl.TagAcdb : Dnnl.TagAny;
        var srcFwd = Dnnl.Plain(src, activations, Type(true));
        var dstFwd = Dnnl.Plain(dst, activations, Type(false));
        var wtsFwd = Dnnl.Plain(wts, Dnnl.TagAny, Type(true));
        var srcAny = Dnnl.Plain(src, activations, Type(pass != ConvPass.BackwardData));
        var dstAny = Dnnl.Plain(dst, activations, Type(pass != ConvPass.Forward));
        var wtsAny = Dnnl.Plain(wts, Dnnl.TagAny, Type(pass != ConvPass.BackwardWeights));
        // The user's x, dx (C channels) and y, dy (K channels), as the primitive's arguments.
        DnnlPrimitive.ArgSpec X(int arg, int query, bool output, int type = Dnnl.F32) => new(arg, query, src, output, g.XBlocked, type, nhwc);
        DnnlPrimitive.ArgSpec Y(int arg, int query, bool output, int type = Dnnl.F32) => new(arg, query, dst, output, g.YBlocked, type, nhwc);
        var biasMd = Dnnl.Plain(bias, Dnnl.TagA);
        var strides = Dims12(g.StrideH, g.StrideW);
        var dilates = Dims12(g.DilationH - 1, g.DilationW - 1);
        var padL = Dims12(g.PadTop, g.PadLeft);
        var padR = Dims12(g.PadBottom, g.PadRight);
        var biasPtr = hasBias ? &biasMd : null;
        // oneDNN 2.6 has no bfloat16 Winograd.
        int algorithm = !bf16 && UsesWinograd(pass, g) ? Dnnl.ConvolutionWinograd : Dnnl.ConvolutionDirect;

        Dnnl.OpDesc forward;
        fixed (long* s = strides) fixed (long* d = dilates) fixed (long* l = padL) fixed (long* r = padR)
            Dnnl.Check(Dnnl.dnnl_dilated_convolution_forward_desc_init(&forward, Dnnl.ForwardTraining, algorithm,
                &srcFwd, &wtsFwd, biasPtr, &dstFwd, s, d, l, r), $"convolution forward desc ({g})");
        Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out var forwardPd, &forward, _dnnl.Attributes, _dnnl.Engine, IntPtr.Zero), $"convolution forward ({g})");
        if (pass == ConvPass.Forward)
        {
            DnnlPrimitive.ArgSpec[] args = hasBias
                ? [X(Dnnl.ArgSrc, Dnnl.QuerySrcMd, false, xType), new(Dnnl.ArgWeights, Dnnl.QueryWeightsMd, wts, false), new(Dnnl.ArgBias, Dnnl.QueryPlain, bias, false), Y(Dnnl.ArgDst, Dnnl.QueryDstMd, true)]
                : [X(Dnnl.ArgSrc, Dnnl.QuerySrcMd, false, xType), new(Dnnl.ArgWeights, Dnnl.QueryWeightsMd, wts, false), Y(Dnnl.ArgDst, Dnnl.QueryDstMd, true)];
            return new DnnlPrimitive(_dnnl, forwardPd, args);
        }
        try
        {
            Dnnl.OpDesc backward;
            IntPtr pd;
            if (pass == ConvPass.BackwardData)
            {
                fixed (long* s = strides) fixed (long* d = dilates) fixed (long* l = padL) fixed (long* r = padR)
                    Dnnl.Check(Dnnl.dnnl_dilated_convolution_backward_data_desc_init(&backward, algorithm,
                        &srcAny, &wtsAny, &dstAny, s, d, l, r), $"convolution backward-data desc ({g})");
                Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out pd, &backward, _dnnl.Attributes, _dnnl.Engine, forwardPd), $"convolution backward-data ({g})");
                return new DnnlPrimitive(_dnnl, pd,
                    [Y(Dnnl.ArgDiffDst, Dnnl.QueryDiffDstMd, false, dyType), new(Dnnl.ArgWeights, Dnnl.QueryWeightsMd, wts, false), X(Dnnl.ArgDiffSrc, Dnnl.QueryDiffSrcMd, true)]);
            }
            fixed (long* s = strides) fixed (long* d = dilates) fixed (long* l = padL) fixed (long* r = padR)
                Dnnl.Check(Dnnl.dnnl_dilated_convolution_backward_weights_desc_init(&backward, algorithm,
                    &srcAny, &wtsAny, biasPtr, &dstAny, s, d, l, r), $"convolution backward-weights desc ({g})");
            Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out pd, &backward, _dnnl.Attributes, _dnnl.Engine, forwardPd), $"convolution backward-weights ({g})");
            DnnlPrimitive.ArgSpec[] wargs = hasBias
                ? [X(Dnnl.ArgSrc, Dnnl.QuerySrcMd, false, xType), Y(Dnnl.ArgDiffDst, Dnnl.QueryDiffDstMd, false, dyType), new(Dnnl.ArgDiffWeights, Dnnl.QueryDiffWeightsMd, wts, true), new(Dnnl.ArgDiffBias, Dnnl.QueryPlain, bias, true)]
                : [X(Dnnl.ArgSrc, Dnnl.QuerySrcMd, false, xType), Y(Dnnl.ArgDiffDst, Dnnl.QueryDiffDstMd, false, dyType), new(Dnnl.ArgDiffWeights, Dnnl.QueryDiffWeightsMd, wts, true)];
            return new DnnlPrimitive(_dnnl, pd, wargs);
        }
        finally
        {
            Dnnl.dnnl_primitive_desc_destroy(forwardPd);
        }
    }

    /// <summary>
    /// Winograd F(4x4, 3x3) does a 3x3 convolution with about half the multiplications. oneDNN's AVX-512 version,
    /// measured on the UNet, ran forward and backward-data faster than direct convolution once both channel counts
    /// reach 32, but slower at 16 channels (its tile transforms are then bound by memory); its backward-weights was
    /// slower everywhere, so the forward pass's weights gradient stays direct. oneDNN has
    /// Winograd only for AVX-512: elsewhere (AVX2 CPUs) it answers "unimplemented", so direct convolution is used.
    /// </summary>
    private static bool UsesWinograd(ConvPass pass, in ConvGeometry g) =>
        HasAvx512 && pass != ConvPass.BackwardWeights && g.R == 3 && g.S == 3 && g.StrideH == 1 && g.StrideW == 1
        && g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1 && g.C % 16 == 0 && g.K % 16 == 0 && g.C >= 32 && g.K >= 32;

    /// <summary>
    /// A convolution from 16 blocked channels to one plain one (the UNet's 1x1 head): both buffers already hold NHWC
    /// bytes, and oneDNN has NHWC kernels. Left to its own layouts, it pads the one channel to a block of 16 and
    /// reorders y and dy to and from that, which took longer than the convolution itself.
    /// </summary>
    private static bool ChannelsLastFits(in ConvGeometry g) =>
        g.Groups == 1 && g.C == 16 && g.XBlocked && g.K == 1 && !g.YBlocked;

    private static long[] Dims12(long a, long b)
    {
        var d = new long[12];
        d[0] = a;
        d[1] = b;
        return d;
    }
}
