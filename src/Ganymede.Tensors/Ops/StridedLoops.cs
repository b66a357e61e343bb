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
        int rank = shape.Length;
        if (rank == 0)
        {
            run.Run(offsetA, 0, offsetB, 0, 1);
            return;
        }
        foreach (var d in shape)
            if (d == 0) return;
        int inner = shape[rank - 1];
        int sa = stridesA[rank - 1], sb = stridesB[rank - 1];
        Span<int> index = stackalloc int[rank];
        long oa = offsetA, ob = offsetB;
        while (true)
        {
            run.Run(oa, sa, ob, sb, inner);
            int d = rank - 2;
            for (; d >= 0; d--)
            {
                index[d]++;
                oa += stridesA[d];
                ob += stridesB[d];
                if (index[d] < shape[d]) break;
                oa -= (long)stridesA[d] * shape[d];
                ob -= (long)stridesB[d] * shape[d];
                index[d] = 0;
            }
            if (d < 0) return;
        }
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
