using Ganymede.Tests;

namespace Ganymede.Segmentation.Tests;

public class CrossValidationTests : TempDirectoryTest
{
    [Fact]
    public void Folds_hold_out_every_slice_exactly_once_and_change_with_the_seed()
    {
        var held = Enumerable.Range(0, 5).SelectMany(k => CrossValidation.Fold(23, 5, 7, k).Held).Order();
        Assert.Equal(Enumerable.Range(0, 23), held);
        var (train, heldOut) = CrossValidation.Fold(23, 5, 7, 2);
        Assert.Empty(train.Intersect(heldOut));
        Assert.NotEqual(heldOut, CrossValidation.Fold(23, 5, 8, 2).Held);
    }

    [Fact]
    public void Each_fold_trains_its_own_run_and_reports_its_best_dice()
    {
        var train = SegmentationData.Load(SmallRuns.Packed(Dir), "train");
        var options = SmallRuns.Options with { Epochs = 1, Seed = 3 };
        var folds = new List<int>();
        var result = CrossValidation.Run(train, SmallRuns.Config(options), options, 2, Path.Combine(Dir, "cv"), onFold: (k, _) => folds.Add(k), splitSeed: 0);
        Assert.Equal([0, 1], folds);
        Assert.Equal(2, result.FoldDice.Length);
        Assert.All(result.FoldDice, d => Assert.InRange(d, 0, 1));
        Assert.All(result.BestEpochs, e => Assert.Equal(1, e));
        Assert.True(File.Exists(Path.Combine(Dir, "cv", "fold1", "best.safetensors")) && File.Exists(Path.Combine(Dir, "cv", "fold2", "best.safetensors")));
    }
}
