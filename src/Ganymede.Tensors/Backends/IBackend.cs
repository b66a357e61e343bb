namespace Ganymede.Backends;

/// <summary>
/// The compute-heavy primitives, over plain contiguous row-major buffers. Everything else in the
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

    /// <summary>C[m, n] = A[m, k] · B[k, n] + beta · C (A or B stored transposed when asked).</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c);

    /// <summary>y = conv(x, w) + bias; bias may be empty.</summary>
    void Conv2dForward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y);

    /// <summary>dx = the gradient of the input (overwritten), from the output gradient dy.</summary>
    void Conv2dBackwardData(in ConvGeometry g, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>dw (and dbias when not empty) = the gradients of the weights (overwritten).</summary>
    void Conv2dBackwardWeights(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias);
}
