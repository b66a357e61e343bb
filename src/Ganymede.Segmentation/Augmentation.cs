namespace Ganymede.Segmentation;

/// <summary>
/// On-the-fly augmentation of a batch, reproducible from a generator: flips, 90-degree rotations (square
/// images), small affine transforms (rotation, scale, shift; bilinear for images, nearest for masks) and
/// intensity jitter (contrast and brightness on images only). <c>AffineProbability</c> is the share of images that get
/// the affine step; the others keep their pixels exactly (flips and turns do not interpolate), as unseen slices have them.
/// </summary>
/// <remarks>
/// The flips, turns and affine transform of one image compose into a single affine map from output to input
/// pixels, so each image is resampled once. Flips and turns move grid points onto grid points, so composing
/// them with the affine step samples exactly what applying them one after another would. The random draws come
/// first, in image order, and the resampling then runs on both cores.
/// </remarks>
public sealed record Augmentation(bool Flips = true, bool Rotate90 = true, float MaxDegrees = 10, float MaxScale = 0.1f, float MaxShift = 0.05f,
    float Brightness = 0.1f, float Contrast = 0.1f, float AffineProbability = 1)
{
    public static Augmentation None { get; } = new(false, false, 0, 0, 0, 0, 0);

    public (Tensor Images, Tensor Masks) Apply(Tensor images, Tensor masks, Generator g)
    {
        int n = images.size(0), c = images.size(1), cm = masks.size(1), h = images.size(2), w = images.size(3);
        var draws = Enumerable.Range(0, n).Select(_ => Draw(g, h, w)).ToArray();
        float[] x = images.contiguous().ToArray(), y = masks.contiguous().ToArray();
        var outX = new float[x.Length];
        var outY = new float[y.Length];
        Parallel.For(0, n, i =>
        {
            var (map, contrast, brightness) = draws[i];
            Resample(x, outX, i * c * h * w, c, h, w, map, bilinear: true);
            Resample(y, outY, i * cm * h * w, cm, h, w, map, bilinear: false);
            if (contrast != 1 || brightness != 0)
                for (int k = i * c * h * w; k < (i + 1) * c * h * w; k++) outX[k] = Math.Clamp(outX[k] * contrast + brightness, 0, 1);
        });
        return (torch.tensor(outX, n, c, h, w), torch.tensor(outY, n, cm, h, w));
    }

    /// <summary>Where each output pixel (column, row) samples its input: source = (A·col + B·row + C, D·col + E·row + F).</summary>
    private readonly record struct SourceMap(float A, float B, float C, float D, float E, float F)
    {
        public static SourceMap Identity { get; } = new(1, 0, 0, 0, 1, 0);

        public (float Col, float Row) Apply(float col, float row) => (A * col + B * row + C, D * col + E * row + F);

        /// <summary>This map, then <paramref name="next"/> applied to its result.</summary>
        public SourceMap Then(Func<float, float, (float Col, float Row)> next)
        {
            var (c0, r0) = next(C, F);
            var (c1, r1) = next(A + C, D + F);
            var (c2, r2) = next(B + C, E + F);
            return new(c1 - c0, c2 - c0, c0, r1 - r0, r2 - r0, r0);
        }
    }

    /// <summary>One image's random choices, drawn in a fixed order so a seed always gives the same augmentation.</summary>
    private (SourceMap Map, float Contrast, float Brightness) Draw(Generator g, int h, int w)
    {
        bool flipColumns = Flips && g.NextFloat() < 0.5f;
        bool flipRows = Flips && g.NextFloat() < 0.5f;
        int turns = Rotate90 && h == w ? g.NextInt(4) : 0;
        var map = SourceMap.Identity;
        // Drawn only when it can say no, so the default's random stream stays as it was before the option.
        bool affine = AffineProbability >= 1 || g.NextFloat() < AffineProbability;
        if (affine && (MaxDegrees > 0 || MaxScale > 0 || MaxShift > 0))
        {
            // Each output pixel samples the inversely rotated, scaled and shifted position.
            float angle = (g.NextFloat() * 2 - 1) * MaxDegrees * MathF.PI / 180, scale = 1 + (g.NextFloat() * 2 - 1) * MaxScale;
            float dx = (g.NextFloat() * 2 - 1) * MaxShift, dy = (g.NextFloat() * 2 - 1) * MaxShift;
            float cos = MathF.Cos(angle) / scale, sin = MathF.Sin(angle) / scale, cx = (w - 1) / 2f, cy = (h - 1) / 2f;
            float u0 = -cx - dx * w, v0 = -cy - dy * h;
            map = new SourceMap(cos, sin, cos * u0 + sin * v0 + cx, -sin, cos, -sin * u0 + cos * v0 + cy);
        }
        // The geometric steps in the order they act on the image: flip columns, flip rows, then the turns, then the
        // affine step. A pixel's source is found by undoing them from the last to the first.
        for (int t = 0; t < turns; t++) map = map.Then((col, row) => (row, w - 1 - col));
        if (flipRows) map = map.Then((col, row) => (col, h - 1 - row));
        if (flipColumns) map = map.Then((col, row) => (w - 1 - col, row));
        float contrast = 1, brightness = 0;
        if (Contrast > 0 || Brightness > 0)
        {
            contrast = 1 + (g.NextFloat() * 2 - 1) * Contrast;
            brightness = (g.NextFloat() * 2 - 1) * Brightness;
        }
        return (map, contrast, brightness);
    }

    /// <summary>One image of <paramref name="channels"/> channels at <paramref name="offset"/>, resampled through <paramref name="map"/> (zeros outside).</summary>
    private static void Resample(float[] src, float[] dst, int offset, int channels, int h, int w, SourceMap map, bool bilinear)
    {
        for (int row = 0; row < h; row++)
            for (int col = 0; col < w; col++)
            {
                var (sx, sy) = map.Apply(col, row);
                for (int ch = 0; ch < channels; ch++)
                {
                    int plane = offset + ch * h * w;
                    dst[plane + row * w + col] = bilinear ? Bilinear(src, plane, h, w, sx, sy) : Nearest(src, plane, h, w, sx, sy);
                }
            }
    }

    /// <summary><paramref name="t"/> reversed along <paramref name="dim"/>.</summary>
    internal static Tensor Flip(Tensor t, int dim)
    {
        int n = t.size(dim);
        return torch.cat(Enumerable.Range(0, n).Reverse().Select(i => t.narrow(dim, i, 1)).ToList(), dim);
    }

    private static float Nearest(float[] s, int plane, int h, int w, float x, float y)
    {
        int xi = (int)MathF.Round(x), yi = (int)MathF.Round(y);
        return xi < 0 || yi < 0 || xi >= w || yi >= h ? 0 : s[plane + yi * w + xi];
    }

    private static float Bilinear(float[] s, int plane, int h, int w, float x, float y)
    {
        int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
        float fx = x - x0, fy = y - y0;
        float At(int xi, int yi) => xi < 0 || yi < 0 || xi >= w || yi >= h ? 0 : s[plane + yi * w + xi];
        return (1 - fy) * ((1 - fx) * At(x0, y0) + fx * At(x0 + 1, y0)) + fy * ((1 - fx) * At(x0, y0 + 1) + fx * At(x0 + 1, y0 + 1));
    }
}
