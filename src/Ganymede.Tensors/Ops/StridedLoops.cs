namespace Ganymede.Ops;

/// <summary>
/// The one loop every strided operation shares: walk a shape in row-major order and hand the caller
/// runs of the innermost dimension, with each operand's start offset and stride along that run.
/// </summary>
internal static class StridedLoops
{
    /// <summary>Receives one innermost run: `count` elements starting at the given offsets.</summary>
    public interface IRun2
    {
        void Run(long offsetA, int strideA, long offsetB, int strideB, int count);
    }

    public static void ForEachRun<TRun>(ReadOnlySpan<int> shape, ReadOnlySpan<int> stridesA, long offsetA,
        ReadOnlySpan<int> stridesB, long offsetB, ref TRun run) where TRun : struct, IRun2
    {
        foreach (var d in shape)
            if (d == 0) return;
        Span<int> dims = stackalloc int[shape.Length];
        Span<int> sa = stackalloc int[shape.Length];
        Span<int> sb = stackalloc int[shape.Length];
        int rank = Merge(shape, stridesA, stridesB, dims, sa, sb);
        if (rank == 0)
        {
            run.Run(offsetA, 0, offsetB, 0, 1);
            return;
        }
        int inner = dims[rank - 1];
        Span<int> index = stackalloc int[rank];
        long oa = offsetA, ob = offsetB;
        while (true)
        {
            run.Run(oa, sa[rank - 1], ob, sb[rank - 1], inner);
            int d = rank - 2;
            for (; d >= 0; d--)
            {
                index[d]++;
                oa += sa[d];
                ob += sb[d];
                if (index[d] < dims[d]) break;
                oa -= (long)sa[d] * dims[d];
                ob -= (long)sb[d] * dims[d];
                index[d] = 0;
            }
            if (d < 0) return;
        }
    }

    /// <summary>
    /// The same walk with fewer, longer runs: dimensions of size 1 dropped, and a dimension merged into the one outside it
    /// when both operands step over it as one (the outer stride is the inner stride times the inner size). A contiguous
    /// tensor becomes one run. Returns the merged rank.
    /// </summary>
    private static int Merge(ReadOnlySpan<int> shape, ReadOnlySpan<int> stridesA, ReadOnlySpan<int> stridesB, Span<int> dims, Span<int> sa, Span<int> sb)
    {
        int rank = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            if (rank > 0 && sa[rank - 1] == stridesA[d] * shape[d] && sb[rank - 1] == stridesB[d] * shape[d])
            {
                dims[rank - 1] *= shape[d];
                sa[rank - 1] = stridesA[d];
                sb[rank - 1] = stridesB[d];
                continue;
            }
            dims[rank] = shape[d];
            sa[rank] = stridesA[d];
            sb[rank] = stridesB[d];
            rank++;
        }
        return rank;
    }

    /// <summary>Strides of <paramref name="t"/> seen through a broadcast to <paramref name="outShape"/> (0 where broadcast).</summary>
    public static int[] BroadcastStrides(Tensor t, ReadOnlySpan<int> outShape)
    {
        var result = new int[outShape.Length];
        int shift = outShape.Length - t.dim();
        var shape = t.Shape_;
        var strides = t.Strides;
        for (int i = 0; i < t.dim(); i++)
            result[i + shift] = shape[i] == 1 && outShape[i + shift] != 1 ? 0 : strides[i];
        return result;
    }

    private struct CopyRun<T>(T[] src, T[] dst) : IRun2 where T : unmanaged
    {
        public readonly void Run(long offsetA, int strideA, long offsetB, int strideB, int count)
        {
            if (strideA == 1 && strideB == 1)
            {
                Array.Copy(src, offsetA, dst, offsetB, count);
                return;
            }
            for (int i = 0; i < count; i++) dst[offsetB + (long)i * strideB] = src[offsetA + (long)i * strideA];
        }
    }

    /// <summary>Copies <paramref name="src"/> (any strides, broadcast allowed) into <paramref name="dst"/> (any strides).</summary>
    public static void Copy(Tensor src, Tensor dst)
    {
        var srcStrides = BroadcastStrides(src, dst.Shape_);
        switch (dst.Storage.Data)
        {
            case float[] d:
                var rf = new CopyRun<float>(src.Storage.Floats, d);
                ForEachRun(dst.Shape_, srcStrides, src.Offset, dst.Strides, dst.Offset, ref rf);
                break;
            case long[] l:
                var rl = new CopyRun<long>(src.Storage.Longs, l);
                ForEachRun(dst.Shape_, srcStrides, src.Offset, dst.Strides, dst.Offset, ref rl);
                break;
            case byte[] b:
                var rb = new CopyRun<byte>(src.Storage.Bytes, b);
                ForEachRun(dst.Shape_, srcStrides, src.Offset, dst.Strides, dst.Offset, ref rb);
                break;
        }
    }
}
