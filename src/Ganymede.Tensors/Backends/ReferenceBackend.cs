namespace Ganymede.Backends;

/// <summary>
/// Plain managed loops, written to be obviously right rather than fast: the oracle the native backend
/// is tested against, and the fallback when the native libraries are not installed.
/// </summary>
public sealed partial class ReferenceBackend : IBackend
{
    public string Name => "reference";

    public bool PrefersBlocked(int channels) => false;

    /// <summary>All managed: nothing else is on the cores, so the iterations share them.</summary>
    public void For(int count, Action<int> body) => Parallel.For(0, count, body);

    public void Gemm(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int p = 0; p < k; p++)
                    acc += (double)(transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = (float)acc + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
    }

    /// <summary>Always float32: nothing is converted, so a convolution's convertedX stays empty.</summary>
    public int ConvertedInputLength(in ConvGeometry g) => 0;

    public void Conv2dForward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<ushort> convertedX = default)
    {
        CheckPlain(g);
        int cg = g.C / g.Groups, kg = g.K / g.Groups, oh = g.OutH, ow = g.OutW;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int group = k / kg;
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++)
                    {
                        double acc = bias.IsEmpty ? 0 : bias[k];
                        for (int c = 0; c < cg; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int s = 0; s < g.S; s++)
                                {
                                    int h = p * g.StrideH - g.PadTop + r * g.DilationH;
                                    int v = q * g.StrideW - g.PadLeft + s * g.DilationW;
                                    if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                                    acc += (double)x[((n * g.C + group * cg + c) * g.H + h) * g.W + v] * w[((k * cg + c) * g.R + r) * g.S + s];
                                }
                        y[((n * g.K + k) * oh + p) * ow + q] = (float)acc;
                    }
            }
    }

    public void Conv2dBackwardData(in ConvGeometry g, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckPlain(g);
        int cg = g.C / g.Groups, kg = g.K / g.Groups, oh = g.OutH, ow = g.OutW;
        dx.Clear();
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int group = k / kg;
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++)
                    {
                        float d = dy[((n * g.K + k) * oh + p) * ow + q];
                        for (int c = 0; c < cg; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int s = 0; s < g.S; s++)
                                {
                                    int h = p * g.StrideH - g.PadTop + r * g.DilationH;
                                    int v = q * g.StrideW - g.PadLeft + s * g.DilationW;
                                    if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                                    dx[((n * g.C + group * cg + c) * g.H + h) * g.W + v] += d * w[((k * cg + c) * g.R + r) * g.S + s];
                                }
                    }
            }
    }

    public void Conv2dBackward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dw, Span<float> dbias,
        ReadOnlySpan<ushort> convertedX = default)
    {
        if (!dx.IsEmpty) Conv2dBackwardData(g, w, dy, dx);
        if (!dw.IsEmpty) Conv2dBackwardWeights(g, x, dy, dw, dbias);
    }

    private static void Conv2dBackwardWeights(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias)
    {
        CheckPlain(g);
        int cg = g.C / g.Groups, kg = g.K / g.Groups, oh = g.OutH, ow = g.OutW;
        for (int k = 0; k < g.K; k++)
        {
            int group = k / kg;
            for (int c = 0; c < cg; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                    {
                        double acc = 0;
                        for (int n = 0; n < g.N; n++)
                            for (int p = 0; p < oh; p++)
                                for (int q = 0; q < ow; q++)
                                {
                                    int h = p * g.StrideH - g.PadTop + r * g.DilationH;
                                    int v = q * g.StrideW - g.PadLeft + s * g.DilationW;
                                    if (h < 0 || h >= g.H || v < 0 || v >= g.W) continue;
                                    acc += (double)x[((n * g.C + group * cg + c) * g.H + h) * g.W + v] * dy[((n * g.K + k) * oh + p) * ow + q];
                                }
                        dw[((k * cg + c) * g.R + r) * g.S + s] = (float)acc;
                    }
            if (dbias.IsEmpty) continue;
            double b = 0;
            for (int n = 0; n < g.N; n++)
                for (int i = 0; i < oh * ow; i++) b += dy[(n * g.K + k) * oh * ow + i];
            dbias[k] = (float)b;
        }
    }

    private static void CheckPlain(in ConvGeometry g) => CheckPlain(g.XBlocked || g.YBlocked);
}
