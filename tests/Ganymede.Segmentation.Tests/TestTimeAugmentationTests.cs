using Ganymede.Tests;

namespace Ganymede.Segmentation.Tests;

/// <summary>
/// Test-time augmentation averages over the eight symmetries of a square (flips and transposes), so a turned or
/// mirrored slice gets the turned or mirrored prediction, whatever the model learned.
/// </summary>
public class TestTimeAugmentationTests : TempDirectoryTest
{
    private SegmentationModel UntrainedModel()
    {
        var config = new ModelConfig("unet", 1, 1, 4, 2, 0, false, 2, 32, 0, 255, "test");
        var path = Path.Combine(Dir, "untrained.safetensors");
        Checkpoint.Save(path, config.Build(new Generator(3)), config);
        return SegmentationModel.Load(path);
    }

    private static Tensor MirrorColumns(Tensor t) =>
        torch.cat(Enumerable.Range(0, t.size(3)).Reverse().Select(i => t.narrow(3, i, 1)).ToList(), 3);

    private static float LargestDifference(Tensor a, Tensor b) => a.sub(b).abs().max().item();

    [Fact]
    public void Predictions_follow_transposed_and_mirrored_slices()
    {
        using var model = UntrainedModel();
        var slices = torch.rand([2, 1, 64, 64], new Generator(8)).mul(255f);
        var transposed = slices.transpose(2, 3).contiguous();
        var mirrored = MirrorColumns(slices);

        var averaged = new Predictor(model, testTimeAugmentation: true);
        var p = averaged.Probabilities(slices);
        Assert.True(LargestDifference(averaged.Probabilities(transposed), p.transpose(2, 3)) < 1e-5f);
        Assert.True(LargestDifference(averaged.Probabilities(mirrored), MirrorColumns(p)) < 1e-5f);

        // Without it the untrained model is not symmetric, so the check above has teeth.
        var plain = new Predictor(model);
        Assert.True(LargestDifference(plain.Probabilities(transposed), plain.Probabilities(slices).transpose(2, 3)) > 1e-3f);
    }
}
