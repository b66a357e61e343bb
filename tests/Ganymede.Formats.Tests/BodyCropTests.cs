using Ganymede.Formats.Datasets;
using Ganymede.Formats.Hdf5;
using Ganymede.Tests;

namespace Ganymede.Formats.Tests;

/// <summary>Cutting slices to the square around the body (data pack --crop body, and prediction with such models).</summary>
public class BodyCropTests : TempDirectoryTest
{
    /// <summary>A 40x40 black canvas with a 20x16 "body" at rows 10..29, columns 5..20, and a lesion inside it.</summary>
    private static (float[] Image, float[] Mask) Canvas()
    {
        var image = new float[40 * 40];
        var mask = new float[40 * 40];
        for (int r = 10; r < 30; r++)
            for (int c = 5; c < 21; c++)
            {
                image[r * 40 + c] = 100 + r + c;
                mask[r * 40 + c] = r is > 14 and < 18 && c is > 8 and < 12 ? 1 : 0;
            }
        return (image, mask);
    }

    [Fact]
    public void The_square_is_centred_on_the_body_with_a_small_margin()
    {
        var crop = BodyCrop.Find(Canvas().Image, 40, 40);
        // The longer side, 20, grows by 3% each side to 22 (21.2 rounded up), centred on row 20 and column 13.
        Assert.Equal(new BodyCrop(9, 2, 22), crop);
        Assert.Equal(new BodyCrop(0, 0, 40), BodyCrop.Find(new float[40 * 40], 40, 40));
        Assert.Equal(new BodyCrop(-2, 0, 12), BodyCrop.Whole(8, 12));
    }

    [Fact]
    public void Cut_and_paste_are_inverse_and_outside_reads_as_the_fill()
    {
        var (image, _) = Canvas();
        var crop = new BodyCrop(-3, 30, 15); // overhangs the top and the right edge
        var square = crop.Cut(image, 1, 40, 40, fill: -1);
        Assert.Equal(15 * 15, square.Length);
        Assert.Equal(-1, square[0]);                                   // row −3 does not exist
        Assert.Equal(image[0 * 40 + 30], square[3 * 15 + 0]);          // row 0, column 30
        Assert.Equal(-1, square[3 * 15 + 10]);                         // column 40 does not exist
        var back = new float[40 * 40];
        crop.Paste(square, 1, back, 40, 40);
        for (int r = 0; r < 12; r++)
            for (int c = 30; c < 40; c++)
                Assert.Equal(image[r * 40 + c], back[r * 40 + c]);
        Assert.Equal(0, back[20 * 40 + 20]);
    }

    [Fact]
    public void Packing_with_crop_body_stores_the_cut_slices()
    {
        var (image, mask) = Canvas();
        var path = Path.Combine(Dir, "cut.h5");
        // Packed at the square's own side, no resizing happens: the data are exactly the cut.
        SegmentationPacker.Pack(torch.tensor(image, 1, 40, 40), torch.tensor(mask, 1, 40, 40), path, new PackOptions(Size: 22, Valid: 0, Crop: SliceCrop.Body), "test");
        using var file = H5File.Open(path);
        Assert.Equal("body", file.GetAttribute("crop"));
        using var x = file.Dataset("X_train");
        using var y = file.Dataset("y_train");
        var crop = new BodyCrop(9, 2, 22);
        float high = image.Max();
        Assert.Equal(crop.Cut(image, 1, 40, 40, 0).Select(v => v / high), x.ReadTensor().ToArray(), new Tolerance(1e-6f));
        Assert.Equal(crop.Cut(mask, 1, 40, 40, 0), y.ReadTensor().ToArray());
    }

    private sealed class Tolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(float value) => 0;
    }
}

/// <summary>BodyCrop on CT in Hounsfield units: air with noise outside the body, the scanner's circle, and a table.</summary>
public class BodyCropHounsfieldTests
{
    /// <summary>
    /// A 128x128 slice: −3024 outside the scan circle, air at −1000 ± 30 inside it, an elliptical body (soft tissue
    /// 40 ± 30 HU) at rows 30..89, columns 20..107 with two lungs (−850) inside, and a table (bone-like, 300 HU) at
    /// rows 100..104 across columns 5..122, separated from the body by air.
    /// </summary>
    private static float[] Phantom()
    {
        var g = new Random(7);
        var slice = new float[128 * 128];
        for (int r = 0; r < 128; r++)
            for (int c = 0; c < 128; c++)
            {
                float noise = (float)(g.NextDouble() * 60 - 30);
                double dr = (r - 59.5) / 30, dc = (c - 63.5) / 44;
                bool inCircle = (r - 63.5) * (r - 63.5) + (c - 63.5) * (c - 63.5) < 64 * 64;
                bool inBody = dr * dr + dc * dc <= 1;
                bool inLung = Math.Pow((r - 58) / 18.0, 2) + Math.Pow((Math.Abs(c - 63.5) - 20) / 12.0, 2) <= 1;
                bool inTable = r is >= 100 and <= 104 && c is >= 5 and <= 122;
                slice[r * 128 + c] = !inCircle ? -3024 : inTable ? 300 + noise : inBody ? (inLung ? -850 + noise : 40 + noise) : -1000 + noise;
            }
        return slice;
    }

    [Fact]
    public void The_square_holds_the_body_and_leaves_out_air_noise_and_the_table()
    {
        var (crop, gaveUp) = BodyCrop.Locate(Phantom(), 128, 128);
        Assert.Null(gaveUp);
        // The body spans rows 30..89 (60) and columns 20..107 (88): the square is 88 + 3% each side = 94 (93.3 rounded
        // up), centred on row 59.5 and column 63.5. With the table it would reach row 104; with the air, the circle.
        Assert.Equal(new BodyCrop(60 - 47, 64 - 47, 94), crop);
    }

    [Fact]
    public void A_slice_of_air_alone_is_kept_whole_and_says_why()
    {
        var air = Enumerable.Range(0, 64 * 64).Select(i => -1000f + i % 7).ToArray();
        var (crop, gaveUp) = BodyCrop.Locate(air, 64, 64);
        Assert.Equal(BodyCrop.Whole(64, 64), crop);
        Assert.Equal("no tissue above -500 HU", gaveUp);
    }
}
