namespace Ganymede.Backends;

/// <summary>
/// Everything a 2-D convolution kernel needs to know about its buffers: input [N, C, H, W], weights
/// [K, C/groups, R, S], output [N, K, OutH, OutW]. Padding may differ per side (transposed convolution
/// with output_padding needs that). XBlocked and YBlocked say whether the C-channel buffers (x, dx) and
/// the K-channel buffers (y, dy) are in the blocked nChw16c layout instead of plain NCHW.
/// </summary>
public readonly record struct ConvGeometry(
    int N, int C, int H, int W, int K, int R, int S,
    int StrideH, int StrideW, int PadTop, int PadLeft, int PadBottom, int PadRight,
    int DilationH, int DilationW, int Groups, bool XBlocked = false, bool YBlocked = false)
{
    public int OutH => (H + PadTop + PadBottom - DilationH * (R - 1) - 1) / StrideH + 1;

    public int OutW => (W + PadLeft + PadRight - DilationW * (S - 1) - 1) / StrideW + 1;

    public long InputSize => (long)N * C * H * W;

    public long WeightSize => (long)K * (C / Groups) * R * S;

    public long OutputSize => (long)N * K * OutH * OutW;

    public override string ToString() =>
        $"input [{N}, {C}, {H}, {W}], weight [{K}, {C / Groups}, {R}, {S}], stride ({StrideH}, {StrideW}), padding ({PadTop}, {PadLeft}, {PadBottom}, {PadRight}), dilation ({DilationH}, {DilationW}), groups {Groups}";
}
