using Ganymede.Tests;

namespace Ganymede.Segmentation.Tests;

/// <summary>TrainOptions.PatchSize: the first epochs on random patches (or resized slices), the rest on whole slices.</summary>
public class PatchTrainingTests : TempDirectoryTest
{
    [Fact]
    public void The_first_epochs_train_on_patches_then_on_whole_slices()
    {
        var data = SmallRuns.Packed(Dir);
        var options = SmallRuns.Options with { Epochs = 6, PatchSize = 16, PatchFraction = 0.5f };
        var sizes = new List<int>();
        new Trainer(options, Path.Combine(Dir, "run")).Run(SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"),
            SmallRuns.Config(options), onEpoch: m => sizes.Add(m.Size));
        Assert.Equal([16, 16, 16, 32, 32, 32], sizes);
        var csv = File.ReadAllLines(Path.Combine(Dir, "run", "metrics.csv"));
        Assert.EndsWith(",16", csv[1]);
        Assert.EndsWith(",32", csv[4]);
    }

    [Fact]
    public void With_resizing_the_model_kept_is_one_trained_on_whole_slices()
    {
        var data = SmallRuns.Packed(Dir);
        // Patience 1 would stop almost any run at once; it must not act while validation is on resized slices.
        var options = SmallRuns.Options with { Epochs = 8, PatchSize = 16, PatchFraction = 0.5f, PatchResize = true, Patience = 1 };
        var sizes = new List<int>();
        var run = new Trainer(options, Path.Combine(Dir, "run")).Run(SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"),
            SmallRuns.Config(options), onEpoch: m => sizes.Add(m.Size));
        Assert.Equal([16, 16, 16, 16, 32], sizes.Take(5));
        Assert.All(sizes.Skip(4), s => Assert.Equal(32, s));
        Assert.InRange(run.BestEpoch, 5, 8);
    }

    [Fact]
    public void A_patch_is_one_place_of_its_slice_cut_from_image_and_mask_alike()
    {
        // Pixel values that say where they came from: image = 1000 n + 100 row + column, mask = the same + 0.5.
        var images = torch.tensor(Enumerable.Range(0, 3 * 8 * 8).Select(i => (float)(i / 64 * 1000 + i % 64 / 8 * 100 + i % 8)).ToArray(), 3, 1, 8, 8);
        var masks = images.add(0.5f);
        var (x, y) = Augmentation.RandomCrop(images, masks, 5, new Generator(3));
        Assert.Equal([3, 1, 5, 5], x.shape);
        Assert.Equal(x.add(0.5f).ToArray(), y.ToArray());
        var places = new HashSet<(int, int)>();
        for (int n = 0; n < 3; n++)
        {
            var patch = x.select(0, n).select(0, 0);
            float corner = patch.select(0, 0).select(0, 0).item();
            int top = (int)(corner - 1000 * n) / 100, left = (int)(corner - 1000 * n) % 100;
            places.Add((top, left));
            for (int r = 0; r < 5; r++)
                for (int c = 0; c < 5; c++)
                    Assert.Equal(1000 * n + 100 * (top + r) + left + c, patch.select(0, r).select(0, c).item());
        }
        Assert.True(places.Count > 1, "every image was cut at the same place");
    }

    [Fact]
    public void Slices_no_larger_than_the_patch_train_whole()
    {
        var data = SmallRuns.Packed(Dir);
        var options = SmallRuns.Options with { Epochs = 2, PatchSize = 32 };
        var sizes = new List<int>();
        new Trainer(options, Path.Combine(Dir, "run")).Run(SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"),
            SmallRuns.Config(options), onEpoch: m => sizes.Add(m.Size));
        Assert.Equal([32, 32], sizes);
    }

    [Fact]
    public void A_fraction_outside_zero_to_one_is_refused_before_training()
    {
        var data = SmallRuns.Packed(Dir);
        var options = SmallRuns.Options with { PatchSize = 16, PatchFraction = 1.5f };
        var error = Assert.Throws<ArgumentException>(() => new Trainer(options, Path.Combine(Dir, "run"))
            .Run(SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"), SmallRuns.Config(options)));
        Assert.Contains("PatchFraction 1.5", error.Message);
        Assert.False(Directory.Exists(Path.Combine(Dir, "run")));
    }
}
