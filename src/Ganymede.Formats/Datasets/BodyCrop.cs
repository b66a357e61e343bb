namespace Ganymede.Formats.Datasets;

/// <summary>
/// A square window around the body of one slice, widened by a small margin. Slices that sit small on a large canvas
/// then fill the network's input, which keeps small lesions several pixels wide after resizing. Parts of the square
/// outside the slice read as the darkest value. Two kinds of slice are told apart by their values:
/// <list type="bullet">
/// <item>Hounsfield units (the darkest value at or below −900: air is −1000 HU). The body is the largest connected
/// region above −500 HU, with any other region at least a quarter of its size (the other leg, the other arm): air and
/// its noise fall below the threshold, and the patient table, a thin strip separated from the body by air, is a
/// region of its own that is left out.</item>
/// <item>Anything else (images scaled to a canvas, as the COVID-SemiSeg slices are: cropped by their redistributor
/// and centred on black): the body is every pixel brighter than the darkest value.</item>
/// </list>
/// When no body can be told apart, the whole slice is kept and <see cref="Locate"/> says why.
/// </summary>
public readonly record struct BodyCrop(int Top, int Left, int Side)
{
    /// <summary>Margin on each side, as a fraction of the box's longer side.</summary>
    private const float Margin = 0.03f;

    /// <summary>Values at or below this are air in Hounsfield units (air is −1000 HU).</summary>
    private const float HounsfieldAir = -900;

    /// <summary>Tissue, in Hounsfield units: above lung parenchyma's air-filled range and far above air with noise.</summary>
    private const float HounsfieldTissue = -500;

    /// <summary>The crop of one slice [rows, columns]; the whole slice when no body can be told apart.</summary>
    public static BodyCrop Find(ReadOnlySpan<float> slice, int rows, int columns) => Locate(slice, rows, columns).Crop;

    /// <summary>The crop of one slice, and why the whole slice was kept when it was (null when a body was found).</summary>
    public static (BodyCrop Crop, string? GaveUp) Locate(ReadOnlySpan<float> slice, int rows, int columns)
    {
        float darkest = float.PositiveInfinity;
        foreach (var v in slice) darkest = Math.Min(darkest, v);
        bool hounsfield = darkest <= HounsfieldAir;
        var body = new bool[slice.Length];
        for (int i = 0; i < slice.Length; i++) body[i] = hounsfield ? slice[i] > HounsfieldTissue : slice[i] > darkest;
        if (hounsfield) KeepLargeRegions(body, rows, columns);
        int top = rows, bottom = -1, left = columns, right = -1;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                if (!body[r * columns + c]) continue;
                top = Math.Min(top, r);
                bottom = r;
                left = Math.Min(left, c);
                right = Math.Max(right, c);
            }
        if (bottom < 0)
            return (Whole(rows, columns), hounsfield ? $"no tissue above {HounsfieldTissue} HU" : "the slice has one value throughout");
        int height = bottom - top + 1, width = right - left + 1;
        int side = (int)MathF.Ceiling(Math.Max(height, width) * (1 + 2 * Margin));
        return (new BodyCrop(top + height / 2 - side / 2, left + width / 2 - side / 2, side), null);
    }

    /// <summary>Keeps the largest 4-connected region of <paramref name="mask"/> and those at least a quarter of its size.</summary>
    private static void KeepLargeRegions(bool[] mask, int rows, int columns)
    {
        var label = new int[mask.Length];
        var sizes = new List<int> { 0 };
        var queue = new Queue<int>();
        for (int start = 0; start < mask.Length; start++)
        {
            if (!mask[start] || label[start] != 0) continue;
            int id = sizes.Count, size = 0;
            label[start] = id;
            queue.Enqueue(start);
            while (queue.TryDequeue(out int at))
            {
                size++;
                int r = at / columns, c = at % columns;
                foreach (int next in (ReadOnlySpan<int>)[r > 0 ? at - columns : -1, r < rows - 1 ? at + columns : -1, c > 0 ? at - 1 : -1, c < columns - 1 ? at + 1 : -1])
                {
                    if (next < 0 || !mask[next] || label[next] != 0) continue;
                    label[next] = id;
                    queue.Enqueue(next);
                }
            }
            sizes.Add(size);
        }
        int largest = sizes.Max();
        for (int i = 0; i < mask.Length; i++) mask[i] = mask[i] && sizes[label[i]] * 4 >= largest;
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
