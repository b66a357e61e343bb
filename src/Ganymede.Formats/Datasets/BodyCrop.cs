namespace Ganymede.Formats.Datasets;

/// <summary>
/// A square window around the body of one slice: the bounding box of every pixel brighter than the slice's
/// darkest value (the canvas or the air around the patient), widened to a square with a small margin. Slices
/// that sit small on a large canvas (as the COVID-SemiSeg slices do, cropped by their redistributor and centred
/// on black) then fill the network's input, which keeps small lesions several pixels wide after resizing.
/// Parts of the square outside the slice read as the darkest value.
/// </summary>
public readonly record struct BodyCrop(int Top, int Left, int Side)
{
    /// <summary>Margin on each side, as a fraction of the box's longer side.</summary>
    private const float Margin = 0.03f;

    /// <summary>The crop of one slice [rows, columns]; a uniform slice gives the whole slice.</summary>
    public static BodyCrop Find(ReadOnlySpan<float> slice, int rows, int columns)
    {
        float darkest = float.PositiveInfinity;
        foreach (var v in slice) darkest = Math.Min(darkest, v);
        int top = rows, bottom = -1, left = columns, right = -1;
        for (int r = 0; r < rows; r++)
        {
            var row = slice.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                if (row[c] <= darkest) continue;
                top = Math.Min(top, r);
                bottom = r;
                left = Math.Min(left, c);
                right = Math.Max(right, c);
            }
        }
        if (bottom < 0) return Whole(rows, columns);
        int height = bottom - top + 1, width = right - left + 1;
        int side = (int)MathF.Ceiling(Math.Max(height, width) * (1 + 2 * Margin));
        return new BodyCrop(top + height / 2 - side / 2, left + width / 2 - side / 2, side);
    }

    /// <summary>The square that holds the whole slice (the identity crop for square slices).</summary>
    public static BodyCrop Whole(int rows, int columns)
    {
        int side = Math.Max(rows, columns);
        return new BodyCrop((rows - side) / 2, (columns - side) / 2, side);
    }

    /// <summary>The square [channels, Side, Side] cut from planes [channels, rows, columns], with <paramref name="fill"/> outside them.</summary>
    public float[] Cut(ReadOnlySpan<float> planes, int channels, int rows, int columns, float fill)
    {
        var square = new float[channels * Side * Side];
        Array.Fill(square, fill);
        foreach (var (inPlanes, inSquare, length) in Overlap(channels, rows, columns))
            planes.Slice(inPlanes, length).CopyTo(square.AsSpan(inSquare, length));
        return square;
    }

    /// <summary>The inverse of <see cref="Cut"/>: the square's pixels written back into planes [channels, rows, columns], the rest left as is.</summary>
    public void Paste(ReadOnlySpan<float> square, int channels, Span<float> planes, int rows, int columns)
    {
        foreach (var (inPlanes, inSquare, length) in Overlap(channels, rows, columns))
            square.Slice(inSquare, length).CopyTo(planes.Slice(inPlanes, length));
    }

    /// <summary>The row runs the square shares with the planes: offsets in each, and the run's length.</summary>
    private IEnumerable<(int InPlanes, int InSquare, int Length)> Overlap(int channels, int rows, int columns)
    {
        int c0 = Math.Max(0, Left), c1 = Math.Min(columns, Left + Side);
        if (c1 <= c0) yield break;
        for (int ch = 0; ch < channels; ch++)
            for (int r = Math.Max(0, Top); r < Math.Min(rows, Top + Side); r++)
                yield return ((ch * rows + r) * columns + c0, (ch * Side + r - Top) * Side + c0 - Left, c1 - c0);
    }
}
