using Ganymede.Tests;

namespace Ganymede.Segmentation.Tests;

public class ProgressiveResizingTests : TempDirectoryTest
{
    [Fact]
    public void The_first_epochs_train_smaller_and_the_model_kept_is_one_trained_at_full_size()
    {
        var data = SmallRuns.Packed(Dir);
        var train = SegmentationData.Load(data, "train");
        var valid = SegmentationData.Load(data, "valid");
        // Patience 1 would stop almost any run at once; it must not act before training reaches full size.
        var options = SmallRuns.Options with { Epochs = 8, LowResolutionSize = 16, LowResolutionFraction = 0.5f, Patience = 1 };
        var sizes = new List<int>();
        var run = new Trainer(options, Path.Combine(Dir, "run")).Run(train, valid, SmallRuns.Config(options), onEpoch: m => sizes.Add(m.Size));

        Assert.Equal([16, 16, 16, 16, 32], sizes.Take(5));
        Assert.All(sizes.Skip(4), s => Assert.Equal(32, s));
        Assert.InRange(run.BestEpoch, 5, 8);
        var csv = File.ReadAllLines(Path.Combine(Dir, "run", "metrics.csv"));
        Assert.EndsWith(",16", csv[1]);
        Assert.EndsWith(",32", csv[5]);
    }

    [Fact]
    public void Slices_no_larger_than_the_low_size_train_at_their_own_size()
    {
        var data = SmallRuns.Packed(Dir);
        var options = SmallRuns.Options with { Epochs = 2, LowResolutionSize = 32 };
        var sizes = new List<int>();
        new Trainer(options, Path.Combine(Dir, "run")).Run(SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"),
            SmallRuns.Config(options), onEpoch: m => sizes.Add(m.Size));
        Assert.Equal([32, 32], sizes);
    }

    [Fact]
    public void A_fraction_outside_zero_to_one_is_refused_before_training()
    {
        var data = SmallRuns.Packed(Dir);
        var options = SmallRuns.Options with { LowResolutionSize = 16, LowResolutionFraction = 1.5f };
        var error = Assert.Throws<ArgumentException>(() => new Trainer(options, Path.Combine(Dir, "run"))
            .Run(SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"), SmallRuns.Config(options)));
        Assert.Contains("LowResolutionFraction 1.5", error.Message);
        Assert.False(Directory.Exists(Path.Combine(Dir, "run")));
    }
}
