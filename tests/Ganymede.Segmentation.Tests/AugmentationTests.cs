namespace Ganymede.Segmentation.Tests;

/// <summary>Augmentation: the same geometric transform for an image and its mask, reproducible from the seed.</summary>
public class AugmentationTests
{
    // Pixel values that say where they came from: 100 row + column, plus 10000 per image.
    private static Tensor Labelled(int n, int h, int w) =>
        torch.tensor(Enumerable.Range(0, n * h * w).Select(i => (float)(i / (h * w) * 10000 + i % (h * w) / w * 100 + i % w)).ToArray(), n, 1, h, w);

    /// <summary>The eight flips and turns of a square image: where output (row, col) reads its input from.</summary>
    private static IEnumerable<Func<int, int, (int Row, int Col)>> Symmetries(int s) =>
        from transpose in new[] { false, true }
        from flipRows in new[] { false, true }
        from flipCols in new[] { false, true }
        select new Func<int, int, (int, int)>((r, c) =>
        {
            if (flipRows) r = s - 1 - r;
            if (flipCols) c = s - 1 - c;
            return transpose ? (c, r) : (r, c);
        });

    [Fact]
    public void Flips_and_turns_move_every_pixel_of_image_and_mask_alike_to_one_of_the_eight_symmetries()
    {
        const int n = 16, s = 6;
        var images = Labelled(n, s, s);
        var (x, y) = new Augmentation(MaxDegrees: 0, MaxScale: 0, MaxShift: 0, Brightness: 0, Contrast: 0).Apply(images, images.add(0.5f), new Generator(7));
        Assert.Equal(x.add(0.5f).ToArray(), y.ToArray());
        var used = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            var pixels = x.select(0, i).select(0, 0).ToArray();
            var matching = Symmetries(s).Select((map, k) => (map, k)).Where(m =>
                Enumerable.Range(0, s * s).All(p => pixels[p] == i * 10000 + 100 * m.map(p / s, p % s).Row + m.map(p / s, p % s).Col)).ToList();
            Assert.Single(matching);
            used.Add(matching[0].k);
        }
        Assert.True(used.Count >= 4, $"16 images used only {used.Count} of the eight symmetries");
    }

    [Fact]
    public void Non_square_images_are_flipped_but_never_turned()
    {
        var images = Labelled(8, 4, 6);
        var (x, _) = new Augmentation(MaxDegrees: 0, MaxScale: 0, MaxShift: 0, Brightness: 0, Contrast: 0).Apply(images, images, new Generator(1));
        Assert.Equal([8, 1, 4, 6], x.shape);
        for (int i = 0; i < 8; i++)
        {
            var pixels = x.select(0, i).select(0, 0).ToArray();
            int r0 = (int)(pixels[0] - i * 10000) / 100, c0 = (int)(pixels[0] - i * 10000) % 100;
            Assert.Contains(r0, new[] { 0, 3 });
            Assert.Contains(c0, new[] { 0, 5 });
            Assert.Equal(i * 10000 + 100 * r0 + (c0 == 0 ? 1 : 4), pixels[1]); // the next column, not the next row
        }
    }

    [Fact]
    public void The_affine_step_keeps_masks_binary_and_aligned_with_their_images()
    {
        // A disc as both image and mask: after the same warp, the image thresholded at one half is the mask, up to edge pixels.
        const int s = 64;
        var disc = torch.tensor(Enumerable.Range(0, 4 * s * s).Select(i =>
        {
            int r = i % (s * s) / s, c = i % s;
            return (r - 20) * (r - 20) + (c - 36) * (c - 36) < 150 ? 1f : 0f;
        }).ToArray(), 4, 1, s, s);
        var augment = new Augmentation(MaxDegrees: 30, MaxScale: 0.2f, MaxShift: 0.1f, Brightness: 0, Contrast: 0);
        var (x, y) = augment.Apply(disc, disc, new Generator(3));
        var masks = y.ToArray();
        Assert.All(masks, v => Assert.True(v is 0 or 1));
        var thresholded = x.ToArray().Select(v => v >= 0.5f ? 1f : 0f).ToArray();
        int disagree = thresholded.Zip(masks).Count(p => p.First != p.Second);
        Assert.True(disagree < masks.Count(v => v == 1) / 10, $"{disagree} pixels differ between warped image and mask");
        Assert.NotEqual(disc.ToArray(), masks);
    }

    [Fact]
    public void A_seed_gives_the_same_augmentation_and_intensity_jitter_touches_images_only()
    {
        var images = torch.rand([4, 1, 32, 32], new Generator(5));
        var masks = images.gt(0.5f).@float();
        var augment = new Augmentation();
        var (x1, y1) = augment.Apply(images, masks, new Generator(11));
        var (x2, y2) = augment.Apply(images, masks, new Generator(11));
        var (x3, _) = augment.Apply(images, masks, new Generator(12));
        Assert.Equal(x1.ToArray(), x2.ToArray());
        Assert.Equal(y1.ToArray(), y2.ToArray());
        Assert.NotEqual(x1.ToArray(), x3.ToArray());
        Assert.All(x1.ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.All(y1.ToArray(), v => Assert.True(v is 0 or 1));
    }

    [Fact]
    public void Images_left_out_of_the_affine_step_keep_their_exact_pixels()
    {
        // With AffineProbability 0.5 some images are only flipped or turned, so their pixels are the input's, moved;
        // the others are resampled, which creates values the input never had.
        const int n = 16, s = 8;
        var images = Labelled(n, s, s);
        var (x, _) = new Augmentation(MaxDegrees: 20, Brightness: 0, Contrast: 0, AffineProbability: 0.5f).Apply(images, images, new Generator(2));
        int exact = 0;
        for (int i = 0; i < n; i++)
        {
            var input = images.select(0, i).ToArray().Order().ToArray();
            if (x.select(0, i).ToArray().Order().SequenceEqual(input)) exact++;
        }
        Assert.InRange(exact, 3, n - 3);
        var (all, _) = new Augmentation(MaxDegrees: 20, Brightness: 0, Contrast: 0, AffineProbability: 0).Apply(images, images, new Generator(2));
        for (int i = 0; i < n; i++)
            Assert.Equal(images.select(0, i).ToArray().Order(), all.select(0, i).ToArray().Order());
    }
}
