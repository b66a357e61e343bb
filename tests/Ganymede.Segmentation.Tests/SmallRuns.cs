using Ganymede.Tests;
using Ganymede.Formats.Datasets;
using Ganymede.Formats.Nifti;

namespace Ganymede.Segmentation.Tests;

/// <summary>What the training tests share: the real slices packed small, a recipe that trains in seconds, its model configuration.</summary>
internal static class SmallRuns
{
    public static readonly TrainOptions Options = new() { Epochs = 4, Batch = 8, Base = 4, Depth = 2, Patience = 0, LearningRate = 3e-3f };

    public static ModelConfig Config(TrainOptions o) => new("unet", 1, 1, o.Base, o.Depth, o.Dropout, o.ConvBias, o.UpKernel, 32, 0, 255, "test");

    /// <summary>The 50 COVID-SemiSeg slices, whole, at <paramref name="size"/>², 20% held out for validation, packed into <paramref name="directory"/> once.</summary>
    public static string Packed(string directory, int size = 32)
    {
        var path = Path.Combine(directory, $"data{size}.h5");
        if (File.Exists(path)) return path;
        var images = NiftiImage.Load(SharedData.CovidSemiSeg("train_im.nii.gz")).Data;
        var masks = NiftiImage.Load(SharedData.CovidSemiSeg("train_mask.nii.gz")).Data;
        SegmentationPacker.Pack(images, masks, path, new PackOptions(Size: size, Valid: 0.2, Seed: 1, Crop: SliceCrop.None), "covid-semiseg");
        return path;
    }
}
