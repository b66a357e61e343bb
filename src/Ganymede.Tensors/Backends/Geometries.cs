namespace Ganymede.Backends;

/// <summary>Batch normalisation over [N, C, H·W] (plain) or nChw16c (blocked) memory, followed by a ReLU when <paramref name="Relu"/>.</summary>
public readonly record struct NormGeometry(int N, int C, int H, int W, float Eps, bool Training, bool Blocked, bool Relu = false)
{
    public long Size => (long)N * C * H * W;
}

/// <summary>
/// Channels [<paramref name="Offset"/>, Offset + <paramref name="Count"/>) of an [N, C, H, W] tensor (the whole of a
/// concatenation), against an [N, Count, H, W] tensor of their own (one of its parts), both plain or both blocked. In
/// the blocked layout Offset and Count are multiples of 16; either way the slice is, per image, one run of the whole.
/// </summary>
public readonly record struct ChannelSlice(int N, int C, int H, int W, int Offset, int Count)
{
    public int PartLength => Count * H * W;

    public int WholeLength => C * H * W;
}

/// <summary>
/// 2-D max pooling: input [N, C, H, W], window KH×KW, output [N, C, OH, OW]. The right/bottom padding
/// follows from the output size (ceil_mode windows may overhang).
/// </summary>
public readonly record struct PoolGeometry(int N, int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int OH, int OW, bool Blocked)
{
    public int PadBottom => Math.Max(0, (OH - 1) * SH + KH - H - PH);

    public int PadRight => Math.Max(0, (OW - 1) * SW + KW - W - PW);

    public int Planes => N * C;
}
