using Ganymede.Formats.Datasets;
using Ganymede.Tests;

namespace Ganymede.Segmentation.Tests;

/// <summary>
/// The intensity contract: raw and packed slices reach the model on the scale it was trained on, whatever path they
/// take, and slices that cannot be mapped correctly are refused instead of predicting nothing.
/// </summary>
public class ModelInputTests : TempDirectoryTest
{
    private SegmentationModel Model(float low, float high, string crop = "none")
    {
        var config = new ModelConfig("unet", 1, 1, 4, 2, 0, false, 2, 32, low, high, "test", crop);
        var path = Path.Combine(Dir, $"model-{low}-{high}-{crop}.safetensors");
        Checkpoint.Save(path, config.Build(new Generator(3)), config);
        return SegmentationModel.Load(path);
    }

    private static Tensor RawSlices() => torch.rand([2, 1, 32, 32], new Generator(5)).mul(1000f).sub(900f);

    [Fact]
    public void Raw_and_packed_slices_of_the_same_range_give_the_same_probabilities()
    {
        using var model = Model(-1000, 100);
        var raw = RawSlices();
        var packed = raw.sub(-1000f).div(1100f).clamp(0, 1);
        var predictor = new Predictor(model);
        var fromRaw = predictor.Probabilities(raw);
        var fromPacked = predictor.Probabilities(packed, new PackInfo(-1000, 100, "none", 32, []));
        Assert.True(fromRaw.sub(fromPacked).abs().max().item() < 1e-5f);
        // A pack over a wider window still holds everything the model sees: mapped back through raw values.
        var wider = raw.sub(-1350f).div(1500f).clamp(0, 1);
        var fromWider = predictor.Probabilities(wider, new PackInfo(-1350, 150, "none", 32, []));
        Assert.True(fromRaw.sub(fromWider).abs().max().item() < 1e-4f);
        TestUtil.AssertClose(ModelInput.Scale(model, raw, null), ModelInput.Scale(model, wider, new PackInfo(-1350, 150, "none", 32, [])), atol: 1e-5f);
    }

    [Fact]
    public void Slices_that_cannot_be_mapped_are_refused_with_the_reason()
    {
        using var model = Model(0, 255);
        var predictor = new Predictor(model);
        var scaled = torch.rand([2, 1, 32, 32], new Generator(6));
        Assert.Contains("these look like slices already scaled to [0, 1] by data pack",
            Assert.Throws<ArgumentException>(() => predictor.Probabilities(scaled)).Message);
        var hounsfield = torch.rand([2, 1, 32, 32], new Generator(7)).mul(2000f).sub(1024f);
        Assert.Contains("lie outside 0..255", Assert.Throws<ArgumentException>(() => predictor.Probabilities(hounsfield)).Message);
        // A pack over a narrower window lost values the model would see.
        Assert.Contains("values outside the pack's range are lost",
            Assert.Throws<ArgumentException>(() => predictor.Probabilities(scaled, new PackInfo(50, 200, "none", 32, []))).Message);
        // Slices cut to the body meet a model trained on whole slices.
        Assert.Contains("holds slices cut to the body, but this model was trained on whole slices",
            Assert.Throws<ArgumentException>(() => predictor.Probabilities(scaled, new PackInfo(0, 255, "body", 32, []))).Message);
    }

    [Fact]
    public void Packed_slices_already_cut_to_the_body_are_not_cut_again()
    {
        using var model = Model(0, 255, "body");
        Assert.False(ModelInput.NeedsBodyCrop(model, new PackInfo(0, 255, "body", 32, [])));
        Assert.True(ModelInput.NeedsBodyCrop(model, new PackInfo(0, 255, "none", 32, [])));
        Assert.True(ModelInput.NeedsBodyCrop(model, null));
    }

    [Fact]
    public void A_model_knows_the_slices_it_was_trained_and_validated_on()
    {
        var config = new ModelConfig("unet", 1, 1, 4, 2, 0, false, 2, 32, 0, 255, "test", "none", ["ct.nii.gz:1", "ct.nii.gz:2"], ["ct.nii.gz:3"]);
        var back = ModelConfig.FromJson(config.ToJson(), "test");
        Assert.Equal(["ct.nii.gz:2", "ct.nii.gz:3"], back.Seen(["ct.nii.gz:0", "ct.nii.gz:2", "ct.nii.gz:3", "other.nii.gz:1"]));
    }
}
