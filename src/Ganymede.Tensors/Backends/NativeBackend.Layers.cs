using System.Collections.Concurrent;
using Ganymede.Native;

namespace Ganymede.Backends;

/// <summary>Batch norm, max pooling and leaky ReLU on oneDNN: the same OpenMP threads as the convolutions, no second threading layer.</summary>
public sealed unsafe partial class NativeBackend
{
    private readonly ConcurrentDictionary<(NormGeometry, bool Backward), DnnlPrimitive> _norms = new();
    private readonly ConcurrentDictionary<(PoolGeometry, bool Backward), DnnlPrimitive> _pools = new();
    private readonly ConcurrentDictionary<(int Length, float Slope, bool Backward), DnnlPrimitive> _relus = new();
    private readonly ConcurrentDictionary<(ChannelSlice, bool IntoWhole), DnnlPrimitive> _slices = new();

    private bool RecordsReluMask(in NormGeometry g) => g.Relu && g.Training;

    public int BatchNormWorkspaceBytes(in NormGeometry g) =>
        RecordsReluMask(g) ? (int)_norms.GetOrAdd((g, false), key => BuildNorm(key.Item1, key.Backward)).QueryBytes(Dnnl.QueryWorkspaceMd) : 0;

    public void BatchNormForward(in NormGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        Span<float> mean, Span<float> variance, Span<float> y, Span<byte> workspace)
    {
        var p = _norms.GetOrAdd((g, false), key => BuildNorm(key.Item1, key.Backward));
        fixed (float* px = x) fixed (float* ps = scale) fixed (float* pb = shift) fixed (float* pm = mean) fixed (float* pv = variance) fixed (float* py = y)
        fixed (byte* pw = workspace)
        {
            Span<NativeBuffer> buffers =
            [
                NativeBuffer.Of(px, x.Length), NativeBuffer.Of(ps, scale.Length), NativeBuffer.Of(pb, shift.Length), NativeBuffer.Of(pm, mean.Length),
                NativeBuffer.Of(pv, variance.Length), NativeBuffer.Of(py, y.Length), NativeBuffer.Of(pw, workspace.Length),
            ];
            lock (_executeLock) p.Execute(RecordsReluMask(g) ? buffers : buffers[..^1]);
        }
    }

    public void BatchNormBackward(in NormGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, ReadOnlySpan<byte> workspace, Span<float> dx, Span<float> dscale, Span<float> dshift)
    {
        var p = _norms.GetOrAdd((g, true), key => BuildNorm(key.Item1, key.Backward));
        // oneDNN 2.6 wants the shift as an input of the backward pass too; its value does not matter there.
        var unusedShift = new float[g.C];
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* ps = scale) fixed (float* pb = unusedShift) fixed (float* pm = mean) fixed (float* pv = variance)
        fixed (byte* pw = workspace) fixed (float* pdx = dx) fixed (float* pds = dscale) fixed (float* pdb = dshift)
        {
            Span<NativeBuffer> buffers =
            [
                NativeBuffer.Of(px, x.Length), NativeBuffer.Of(pdy, dy.Length), NativeBuffer.Of(ps, scale.Length), NativeBuffer.Of(pb, unusedShift.Length),
                NativeBuffer.Of(pm, mean.Length), NativeBuffer.Of(pv, variance.Length), NativeBuffer.Of(pdx, dx.Length), NativeBuffer.Of(pds, dscale.Length),
                NativeBuffer.Of(pdb, dshift.Length), NativeBuffer.Of(pw, workspace.Length),
            ];
            lock (_executeLock) p.Execute(RecordsReluMask(g) ? buffers : buffers[..^1]);
        }
    }

    private DnnlPrimitive BuildNorm(NormGeometry g, bool backward)
    {
        long[] data = [g.N, g.C, g.H, g.W];
        long[] channels = [g.C];
        var md = Dnnl.Plain(data, g.Blocked ? Dnnl.TagABcd16b : Dnnl.TagAbcd);
        uint flags = Dnnl.UseScale | Dnnl.UseShift | (g.Training ? 0 : Dnnl.UseGlobalStats) | (g.Relu ? Dnnl.FuseNormRelu : 0);
        // With a fused ReLU, training records which outputs were positive in an opaque workspace for the backward pass.
        DnnlPrimitive.ArgSpec[] workspace = RecordsReluMask(g) ? [new(Dnnl.ArgWorkspace, Dnnl.QueryWorkspaceMd, null, !backward)] : [];
        Dnnl.OpDesc forward;
        Dnnl.Check(Dnnl.dnnl_batch_normalization_forward_desc_init(&forward, g.Training ? Dnnl.ForwardTraining : Dnnl.ForwardInference, &md, g.Eps, flags), $"batch norm desc ({g})");
        Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out var forwardPd, &forward, _dnnl.Attributes, _dnnl.Engine, IntPtr.Zero), $"batch norm ({g})");
        // Mean and variance are outputs when training, inputs when using running statistics.
        if (!backward)
            return new DnnlPrimitive(_dnnl, forwardPd,
            [
                new(Dnnl.ArgSrc, Dnnl.QuerySrcMd, data, false, g.Blocked), new(Dnnl.ArgScale, Dnnl.QueryPlain, channels, false),
                new(Dnnl.ArgShift, Dnnl.QueryPlain, channels, false), new(Dnnl.ArgMean, Dnnl.QueryPlain, channels, g.Training),
                new(Dnnl.ArgVariance, Dnnl.QueryPlain, channels, g.Training), new(Dnnl.ArgDst, Dnnl.QueryDstMd, data, true, g.Blocked),
                .. workspace,
            ]);
        try
        {
            Dnnl.OpDesc desc;
            Dnnl.Check(Dnnl.dnnl_batch_normalization_backward_desc_init(&desc, Dnnl.Backward, &md, &md, g.Eps, flags), $"batch norm backward desc ({g})");
            Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out var pd, &desc, _dnnl.Attributes, _dnnl.Engine, forwardPd), $"batch norm backward ({g})");
            return new DnnlPrimitive(_dnnl, pd,
            [
                new(Dnnl.ArgSrc, Dnnl.QuerySrcMd, data, false, g.Blocked), new(Dnnl.ArgDiffDst, Dnnl.QueryDiffDstMd, data, false, g.Blocked),
                new(Dnnl.ArgScale, Dnnl.QueryPlain, channels, false), new(Dnnl.ArgShift, Dnnl.QueryPlain, channels, false),
                new(Dnnl.ArgMean, Dnnl.QueryPlain, channels, false), new(Dnnl.ArgVariance, Dnnl.QueryPlain, channels, false),
                new(Dnnl.ArgDiffSrc, Dnnl.QueryDiffSrcMd, data, true, g.Blocked),
                new(Dnnl.ArgDiffScale, Dnnl.QueryPlain, channels, true), new(Dnnl.ArgDiffShift, Dnnl.QueryPlain, channels, true),
                .. workspace,
            ]);
        }
        finally
        {
            Dnnl.dnnl_primitive_desc_destroy(forwardPd);
        }
    }

    public int MaxPoolWorkspaceBytes(in PoolGeometry g) =>
        (int)_pools.GetOrAdd((g, false), key => BuildPool(key.Item1, key.Backward)).QueryBytes(Dnnl.QueryWorkspaceMd);

    public void MaxPool2dForward(in PoolGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<byte> workspace)
    {
        var p = _pools.GetOrAdd((g, false), key => BuildPool(key.Item1, key.Backward));
        fixed (float* px = x) fixed (float* py = y) fixed (byte* pw = workspace)
            lock (_executeLock) p.Execute([NativeBuffer.Of(px, x.Length), NativeBuffer.Of(py, y.Length), NativeBuffer.Of(pw, workspace.Length)]);
    }

    public void MaxPool2dBackward(in PoolGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<byte> workspace, Span<float> dx)
    {
        var p = _pools.GetOrAdd((g, true), key => BuildPool(key.Item1, key.Backward));
        fixed (float* pdy = dy) fixed (byte* pw = workspace) fixed (float* pdx = dx)
            lock (_executeLock) p.Execute([NativeBuffer.Of(pdy, dy.Length), NativeBuffer.Of(pw, workspace.Length), NativeBuffer.Of(pdx, dx.Length)]);
    }

    private DnnlPrimitive BuildPool(PoolGeometry g, bool backward)
    {
        long[] src = [g.N, g.C, g.H, g.W];
        long[] dst = [g.N, g.C, g.OH, g.OW];
        int tag = g.Blocked ? Dnnl.TagABcd16b : Dnnl.TagAbcd;
        var srcMd = Dnnl.Plain(src, tag);
        var dstMd = Dnnl.Plain(dst, tag);
        var strides = Dims12(g.SH, g.SW);
        var kernel = Dims12(g.KH, g.KW);
        var dilation = Dims12(0, 0);
        var padL = Dims12(g.PH, g.PW);
        var padR = Dims12(g.PadBottom, g.PadRight);
        Dnnl.OpDesc forward;
        fixed (long* s = strides) fixed (long* k = kernel) fixed (long* d = dilation) fixed (long* l = padL) fixed (long* r = padR)
            Dnnl.Check(Dnnl.dnnl_pooling_v2_forward_desc_init(&forward, Dnnl.ForwardTraining, Dnnl.PoolingMax, &srcMd, &dstMd, s, k, d, l, r), $"max pooling desc ({g})");
        Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out var forwardPd, &forward, _dnnl.Attributes, _dnnl.Engine, IntPtr.Zero), $"max pooling ({g})");
        if (!backward)
            return new DnnlPrimitive(_dnnl, forwardPd,
                [new(Dnnl.ArgSrc, Dnnl.QuerySrcMd, src, false, g.Blocked), new(Dnnl.ArgDst, Dnnl.QueryDstMd, dst, true, g.Blocked), new(Dnnl.ArgWorkspace, Dnnl.QueryWorkspaceMd, null, true)]);
        try
        {
            Dnnl.OpDesc desc;
            fixed (long* s = strides) fixed (long* k = kernel) fixed (long* d = dilation) fixed (long* l = padL) fixed (long* r = padR)
                Dnnl.Check(Dnnl.dnnl_pooling_v2_backward_desc_init(&desc, Dnnl.PoolingMax, &srcMd, &dstMd, s, k, d, l, r), $"max pooling backward desc ({g})");
            Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out var pd, &desc, _dnnl.Attributes, _dnnl.Engine, forwardPd), $"max pooling backward ({g})");
            return new DnnlPrimitive(_dnnl, pd,
                [new(Dnnl.ArgDiffDst, Dnnl.QueryDiffDstMd, dst, false, g.Blocked), new(Dnnl.ArgWorkspace, Dnnl.QueryWorkspaceMd, null, false), new(Dnnl.ArgDiffSrc, Dnnl.QueryDiffSrcMd, src, true, g.Blocked)]);
        }
        finally
        {
            Dnnl.dnnl_primitive_desc_destroy(forwardPd);
        }
    }

    public void LeakyReluForward(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        if (x.IsEmpty) return;
        var p = _relus.GetOrAdd((x.Length, slope, false), key => BuildRelu(key.Length, key.Slope, key.Backward));
        fixed (float* px = x) fixed (float* py = y)
            lock (_executeLock) p.Execute([NativeBuffer.Of(px, x.Length), NativeBuffer.Of(py, y.Length)]);
    }

    public void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float slope)
    {
        if (x.IsEmpty) return;
        var p = _relus.GetOrAdd((x.Length, slope, true), key => BuildRelu(key.Length, key.Slope, key.Backward));
        fixed (float* px = x) fixed (float* pdy = dy) fixed (float* pdx = dx)
            lock (_executeLock) p.Execute([NativeBuffer.Of(px, x.Length), NativeBuffer.Of(pdy, dy.Length), NativeBuffer.Of(pdx, dx.Length)]);
    }

    /// <summary>Elementwise, so the buffers are seen as one flat vector whatever their layout.</summary>
    private DnnlPrimitive BuildRelu(int length, float slope, bool backward)
    {
        long[] dims = [length];
        var md = Dnnl.Plain(dims, Dnnl.TagA);
        Dnnl.OpDesc forward;
        Dnnl.Check(Dnnl.dnnl_eltwise_forward_desc_init(&forward, Dnnl.ForwardTraining, Dnnl.EltwiseRelu, &md, slope, 0), "relu desc");
        Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out var forwardPd, &forward, _dnnl.Attributes, _dnnl.Engine, IntPtr.Zero), "relu");
        if (!backward)
            return new DnnlPrimitive(_dnnl, forwardPd, [new(Dnnl.ArgSrc, Dnnl.QuerySrcMd, dims, false), new(Dnnl.ArgDst, Dnnl.QueryDstMd, dims, true)]);
        try
        {
            Dnnl.OpDesc desc;
            Dnnl.Check(Dnnl.dnnl_eltwise_backward_desc_init(&desc, Dnnl.EltwiseRelu, &md, &md, slope, 0), "relu backward desc");
            Dnnl.Check(Dnnl.dnnl_primitive_desc_create(out var pd, &desc, _dnnl.Attributes, _dnnl.Engine, forwardPd), "relu backward");
            return new DnnlPrimitive(_dnnl, pd,
                [new(Dnnl.ArgSrc, Dnnl.QuerySrcMd, dims, false), new(Dnnl.ArgDiffDst, Dnnl.QueryDiffDstMd, dims, false), new(Dnnl.ArgDiffSrc, Dnnl.QueryDiffSrcMd, dims, true)]);
        }
        finally
        {
            Dnnl.dnnl_primitive_desc_destroy(forwardPd);
        }
    }

    public void CopyChannelSlice(in ChannelSlice s, ReadOnlySpan<float> from, Span<float> to, bool intoWhole)
    {
        var p = _slices.GetOrAdd((s, intoWhole), key => BuildSliceCopy(key.Item1, key.IntoWhole));
        fixed (float* pf = from) fixed (float* pt = to)
            lock (_executeLock) p.Execute([NativeBuffer.Of(pf, from.Length), NativeBuffer.Of(pt, to.Length)]);
    }

    /// <summary>
    /// A reorder between the part and its channels of the whole, described as a sub-memory of the whole: the copy runs on
    /// oneDNN's threads, both cores, like the primitives around it. The slice is the same bytes in the plain layout as in
    /// the blocked one (per image, one run of whole channel blocks), so it is described as plain.
    /// </summary>
    private DnnlPrimitive BuildSliceCopy(ChannelSlice s, bool intoWhole)
    {
        long[] part = [s.N, s.Count, s.H, s.W], whole = [s.N, s.C, s.H, s.W], offsets = [0, s.Offset, 0, 0];
        var partMd = Dnnl.Plain(part, Dnnl.TagAbcd);
        var wholeMd = Dnnl.Plain(whole, Dnnl.TagAbcd);
        Dnnl.MemoryDesc slice;
        fixed (long* d = part) fixed (long* o = offsets)
            Dnnl.Check(Dnnl.dnnl_memory_desc_init_submemory(&slice, &wholeMd, d, o), "memory_desc_init_submemory");
        Dnnl.MemoryDesc* from = intoWhole ? &partMd : &slice, to = intoWhole ? &slice : &partMd;
        Dnnl.Check(Dnnl.dnnl_reorder_primitive_desc_create(out var pd, from, _dnnl.Engine, to, _dnnl.Engine, _dnnl.Attributes), $"channel slice copy ({s})");
        return new DnnlPrimitive(_dnnl, pd, [new(Dnnl.ArgFrom, Dnnl.QuerySrcMd, null, false), new(Dnnl.ArgTo, Dnnl.QueryDstMd, null, true)]);
    }
}
