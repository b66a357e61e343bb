namespace Ganymede.Backends;

/// <summary>
/// The compute-heavy primitives, over raw contiguous buffers (plain row-major, or blocked where a
/// geometry says so). Everything else in the
/// engine is composed from these or written once in managed code. Two implementations: the
/// reference (plain loops, the oracle for tests) and the native one (oneDNN and OpenBLAS).
/// </summary>
public interface IBackend
{
    string Name { get; }

    /// <summary>
    /// Whether [N, C, H, W] activations with <paramref name="channels"/> channels should be kept in the blocked
    /// nChw16c layout between operations. A geometry's XBlocked/YBlocked flags then say which buffers are blocked.
    /// </summary>
    bool PrefersBlocked(int channels);

    /// <summary>
    /// Runs <paramref name="body"/> for each index in [0, <paramref name="count"/>): the independent iterations of a
    /// managed kernel (an elementwise pass, a copy, an optimiser's update). The backend decides whether they share the
    /// cores: a backend whose native library keeps threads of its own on them runs the iterations on the calling thread.
    /// </summary>
    void For(int count, Action<int> body);

    /// <summary>C[m, n] = A[m, k] · B[k, n] + beta · C (A or B stored transposed when asked).</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c);

    /// <summary>
    /// y = conv(x, w) + bias; bias may be empty. When <paramref name="convertedX"/> is not empty (it then holds
    /// <see cref="ConvertedInputLength"/> elements), x as the passes read it is written there too, for
    /// <see cref="Conv2dBackward"/> to read instead of converting x again.
    /// </summary>
    void Conv2dForward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<ushort> convertedX = default);

    /// <summary>Elements of x converted to bfloat16 that a convolution's passes read (0 when they read x as it is).</summary>
    int ConvertedInputLength(in ConvGeometry g);

    /// <summary>dx = the gradient of the input (overwritten), from the output gradient dy.</summary>
    void Conv2dBackwardData(in ConvGeometry g, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>
    /// A convolution's backward: <see cref="Conv2dBackwardData"/> into <paramref name="dx"/>, and the gradients of the
    /// weights into <paramref name="dw"/> and <paramref name="dbias"/> (all overwritten), each skipped when its
    /// gradient is empty. One call, so that what both read of dy is prepared once. <paramref name="convertedX"/>, when not
    /// empty, is x as the forward pass converted it, and <paramref name="x"/> is then not read.
    /// </summary>
    void Conv2dBackward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dw, Span<float> dbias,
        ReadOnlySpan<ushort> convertedX = default);

    /// <summary>Bytes a training forward pass with a fused ReLU records for its backward (which outputs were positive); 0 without one.</summary>
    int BatchNormWorkspaceBytes(in NormGeometry g);

    /// <summary>
    /// y = (x − mean)/√(variance + eps)·scale + shift per channel, then max(y, 0) when the geometry fuses a ReLU.
    /// Training computes the batch mean and biased variance into <paramref name="mean"/> and <paramref name="variance"/>;
    /// evaluation reads them.
    /// </summary>
    void BatchNormForward(in NormGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        Span<float> mean, Span<float> variance, Span<float> y, Span<byte> workspace);

    /// <summary>dx, dscale and dshift from dy, with the statistics (and for a fused ReLU the workspace) of the forward pass.</summary>
    void BatchNormBackward(in NormGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> scale,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, ReadOnlySpan<byte> workspace, Span<float> dx, Span<float> dscale, Span<float> dshift);

    /// <summary>Bytes the max-pooling forward pass records for its backward (which input won each window).</summary>
    int MaxPoolWorkspaceBytes(in PoolGeometry g);

    void MaxPool2dForward(in PoolGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<byte> workspace);

    /// <summary>dx (overwritten) from dy and the forward pass's workspace.</summary>
    void MaxPool2dBackward(in PoolGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<byte> workspace, Span<float> dx);

    /// <summary>
    /// Copies a part into its channels of the whole (<paramref name="intoWhole"/>: a concatenation) or out of them (its
    /// backward). Only the slice's elements of the whole are read or written.
    /// </summary>
    void CopyChannelSlice(in ChannelSlice s, ReadOnlySpan<float> from, Span<float> to, bool intoWhole);

    /// <summary>y = x > 0 ? x : slope·x, elementwise (any layout).</summary>
    void LeakyReluForward(ReadOnlySpan<float> x, Span<float> y, float slope);

    /// <summary>dx = x > 0 ? dy : slope·dy.</summary>
    void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float slope);
}
