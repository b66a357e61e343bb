namespace Ganymede.Segmentation;

/// <summary>
/// On-the-fly augmentation of a batch, reproducible from a generator: flips, 90-degree rotations (square
/// images), small affine transforms (rotation, scale, shift; bilinear for images, nearest for masks) and
/// intensity jitter (contrast and brightness on images only).
/// </summary>
public sealed record Augmentation(bool Flips = true, bool Rotate90 = true, float MaxDegrees = 10, float MaxScale = 0.1f, float MaxShift = 0.05f,
    float Brightness = 0.1f, float Contrast = 0.1f)
{
    public static Augmentation None { get; } = new(false, false, 0, 0, 0, 0, 0);

    public (Tensor Images, Tensor Masks) Apply(Tensor images, Tensor masks, Generator g)
    {
        var xs = new List<Tensor>();
        var ys = new List<Tensor>();
        for (int i = 0; i < images.size(0); i++)
        {
            var (x, y) = One(images.select(0, i), masks.select(0, i), g);
            xs.Add(x);
            ys.Add(y);
        }
        return (torch.stack(xs), torch.stack(ys));
    }

    private (Tensor, Tensor) One(Tensor x, Tensor y, Generator g)
    {
        if (Flips && g.NextFloat() < 0.5f) (x, y) = (Flip(x, 2), Flip(y, 2));
        if (Flips && g.NextFloat() < 0.5f) (x, y) = (Flip(x, 1), Flip(y, 1));
        int turns = Rotate90 && x.size(1) == x.size(2) ? g.NextInt(4) : 0;
        for (int t = 0; t < turns; t++) (x, y) = (Flip(x.transpose(1, 2), 2), Flip(y.transpose(1, 2), 2));
        if (MaxDegrees > 0 || MaxScale > 0 || MaxShift > 0)
        {
            float angle = (g.NextFloat() * 2 - 1) * MaxDegrees * MathF.PI / 180, scale = 1 + (g.NextFloat() * 2 - 1) * MaxScale;
            float dx = (g.NextFloat() * 2 - 1) * MaxShift, dy = (g.NextFloat() * 2 - 1) * MaxShift;
            x = Warp(x, angle, scale, dx, dy, bilinear: true);
            y = Warp(y, angle, scale, dx, dy, bilinear: false);
        }
        if (Contrast > 0 || Brightness > 0)
        {
            float contrast = 1 + (g.NextFloat() * 2 - 1) * Contrast, brightness = (g.NextFloat() * 2 - 1) * Brightness;
            x = x.mul(contrast).add(brightness).clamp(0, 1);
        }
        return (x.contiguous(), y.contiguous());
    }

    /// <summary>A square patch of side <paramref name="size"/> from each image and its mask, at a random place of its own.</summary>
    public static (Tensor Images, Tensor Masks) RandomCrop(Tensor images, Tensor masks, int size, Generator g)
    {
        var xs = new List<Tensor>();
        var ys = new List<Tensor>();
        for (int i = 0; i < images.size(0); i++)
        {
            int top = g.NextInt(images.size(2) - size + 1), left = g.NextInt(images.size(3) - size + 1);
            xs.Add(images.select(0, i).narrow(1, top, size).narrow(2, left, size));
            ys.Add(masks.select(0, i).narrow(1, top, size).narrow(2, left, size));
        }
        return (torch.stack(xs).contiguous(), torch.stack(ys).contiguous());
    }

    /// <summary><paramref name="t"/> reversed along <paramref name="dim"/>.</summary>
    internal static Tensor Flip(Tensor t, int dim)
    {
        int n = t.size(dim);
        return torch.cat(Enumerable.Range(0, n).Reverse().Select(i => t.narrow(dim, i, 1)).ToList(), dim);
    }

    /// <summary>Samples each output pixel from the inversely rotated, scaled and shifted position (zeros outside).</summary>
    private static Tensor Warp(Tensor image, float angle, float scale, float shiftX, float shiftY, bool bilinear)
    {
        int c = image.size(0), h = image.size(1), w = image.size(2);
        var src = image.contiguous().ToArray();
        var dst = new float[src.Length];
        float cos = MathF.Cos(angle) / scale, sin = MathF.Sin(angle) / scale, cx = (w - 1) / 2f, cy = (h - 1) / 2f;
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++)
            {
                float u = xx - cx - shiftX * w, v = yy - cy - shiftY * h;
                float sx = cos * u + sin * v + cx, sy = -sin * u + cos * v + cy;
                for (int ch = 0; ch < c; ch++)
                    dst[(ch * h + yy) * w + xx] = bilinear ? Bilinear(src, ch, h, w, sx, sy) : Nearest(src, ch, h, w, sx, sy);
            }
        return torch.tensor(dst, c, h, w);
    }

    private static float Nearest(float[] s, int ch, int h, int w, float x, float y)
    {
        int xi = (int)MathF.Round(x), yi = (int)MathF.Round(y);
        return xi < 0 || yi < 0 || xi >= w || yi >= h ? 0 : s[(ch * h + yi) * w + xi];
    }

    private static float Bilinear(float[] s, int ch, int h, int w, float x, float y)
    {
        int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
        float fx = x - x0, fy = y - y0;
        float At(int xi, int yi) => xi < 0 || yi < 0 || xi >= w || yi >= h ? 0 : s[(ch * h + yi) * w + xi];
        return (1 - fy) * ((1 - fx) * At(x0, y0) + fx * At(x0 + 1, y0)) + fy * ((1 - fx) * At(x0, y0 + 1) + fx * At(x0 + 1, y0 + 1));
    }
}
