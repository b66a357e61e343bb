using Ganymede.Backends;

namespace Ganymede.Ops;

/// <summary>
/// oneDNN's nChw16c layout: channels in blocks of 16, each block stored [H, W, 16]. Element (n, c, h, w)
/// lives at ((n·C/16 + c/16)·H·W + h·W + w)·16 + c%16. oneDNN's AVX-512 convolutions run faster on it than on
/// plain NCHW (cpu-performance.md §6), so on such CPUs activations stay in it between native operations and are
/// reordered only at the edges. Managed kernels over it see 16 channels of one pixel as one 512-bit vector.
/// </summary>
internal static class BlockedLayout
{
    public const int Block = 16;

    public static bool IsEligible(ReadOnlySpan<int> shape) => shape.Length == 4 && shape[1] % Block == 0 && shape[1] > 0;

    public static void CheckEligible(string what, ReadOnlySpan<int> shape)
    {
        if (!IsEligible(shape))
            throw new ShapeException($"{what}: the nChw16c layout needs [N, C, H, W] with C a multiple of 16, got {Shape.Format(shape)}");
    }

    public static void ToBlocked(float[] source, int offset, ReadOnlySpan<int> shape, ArraySegment<float> blocked)
    {
        int n = shape[0], cb = shape[1] / Block, hw = shape[2] * shape[3];
        Backend.Current.For(n * cb, nb =>
        {
            var dst = blocked.AsSpan(nb * hw * Block, hw * Block);
            for (int lane = 0; lane < Block; lane++)
            {
                var src = source.AsSpan(offset + (nb * Block + lane) * hw, hw);
                for (int p = 0; p < hw; p++) dst[p * Block + lane] = src[p];
            }
        });
    }

    public static void ToPlain(ArraySegment<float> blocked, ReadOnlySpan<int> shape, float[] plain)
    {
        int n = shape[0], cb = shape[1] / Block, hw = shape[2] * shape[3];
        Backend.Current.For(n * cb, nb =>
        {
            var src = blocked.AsSpan(nb * hw * Block, hw * Block);
            for (int lane = 0; lane < Block; lane++)
            {
                var dst = plain.AsSpan((nb * Block + lane) * hw, hw);
                for (int p = 0; p < hw; p++) dst[p] = src[p * Block + lane];
            }
        });
    }

    /// <summary>The elements of <paramref name="t"/> in the chosen layout (reordered on first use, then cached on the tensor).</summary>
    public static Span<float> Data(Tensor t, bool blocked) => blocked ? t.Blocked : t.contiguous().Span;

    /// <summary>A new float32 tensor whose memory is in the chosen layout.</summary>
    public static Tensor Empty(int[] shape, bool blocked) => blocked ? Tensor.EmptyBlocked(shape) : Tensor.Empty(shape, clear: false);

    /// <summary>Whether an elementwise result should be produced in the blocked layout: the input already is, and only blocked.</summary>
    public static bool Prefer(Tensor t) => t.HasBlocked && IsEligible(t.Shape_);

    /// <summary>Concatenates blocked [N, Ci, H, W] tensors along channels: per image, each part's blocks in turn.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> parts, int[] shape)
    {
        var result = Tensor.EmptyBlocked(shape);
        int offset = 0;
        foreach (var part in parts)
        {
            var slice = new ChannelSlice(shape[0], shape[1], shape[2], shape[3], offset, part.Shape_[1]);
            Backend.Current.CopyChannelSlice(slice, part.Blocked, result.Blocked, intoWhole: true);
            offset += slice.Count;
        }
        return result;
    }

    /// <summary>The inverse of <see cref="Cat"/>: blocked pieces of <paramref name="channels"/> channels each.</summary>
    public static Tensor?[] Split(Tensor joined, int[] channels)
    {
        var shape = joined.Shape_;
        var pieces = new Tensor?[channels.Length];
        int offset = 0;
        for (int i = 0; i < channels.Length; i++)
        {
            var slice = new ChannelSlice(shape[0], shape[1], shape[2], shape[3], offset, channels[i]);
            pieces[i] = Tensor.EmptyBlocked([shape[0], channels[i], shape[2], shape[3]]);
            Backend.Current.CopyChannelSlice(slice, joined.Blocked, pieces[i]!.Blocked, intoWhole: false);
            offset += slice.Count;
        }
        return pieces;
    }
}
