using System.Text.Json;
using Ganymede.Formats.Hdf5;
using Ganymede.NN;

namespace Ganymede.Segmentation;

/// <summary>
/// Everything needed to rebuild a trained model and feed it as in training: the architecture, the input size,
/// the intensity range that maps raw slice values to [0, 1], and whether slices were cut to the body first
/// ("body", see BodyCrop; "none" or absent in older files: whole slices). Stored in every checkpoint's metadata.
/// </summary>
public sealed record ModelConfig(
    string Architecture, int InChannels, int OutChannels, int Base, int Depth, float Dropout, bool ConvBias, int UpKernel,
    int InputSize, float IntensityLow, float IntensityHigh, string Description, string? Crop = "none")
{
    /// <summary>Whether slices are cut to the square around the body before resizing.</summary>
    public bool CropsToBody => Crop == "body";

    public const string MetadataKey = "ganymede_config";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public UNet Build(Generator? generator = null)
    {
        if (Architecture != "unet") throw new ArgumentException($"unknown architecture '{Architecture}' (this version builds 'unet')");
        return new UNet(InChannels, OutChannels, Base, Depth, Dropout, generator, ConvBias, UpKernel);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ModelConfig FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelConfig>(json, Json) ?? throw new InvalidDataException($"{source}: empty model configuration");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the model configuration is not valid: {e.Message}", e);
        }
    }

    /// <summary>The model configuration for training on an H5 file of `data pack`: channels from the file, input size from its slices, intensity range from its attributes.</summary>
    public static ModelConfig ForData(string path, SegmentationSplit train, TrainOptions o)
    {
        using var file = H5File.Open(path);
        var range = file.HasAttribute("intensity_range") && file.GetAttribute("intensity_range") is double[] { Length: 2 } r ? r : [0, 1];
        var crop = file.HasAttribute("crop") && file.GetAttribute("crop") is string c ? c : "none";
        int size = train.Images.size(2);
        if (size % (1 << o.Depth) != 0 || train.Images.size(3) != size)
            throw new ArgumentException($"{path}: slices of {train.Images.size(2)}x{train.Images.size(3)} must be square with a side divisible by {1 << o.Depth}");
        return new ModelConfig("unet", train.Images.size(1), train.Masks.size(1), o.Base, o.Depth, o.Dropout, o.ConvBias, o.UpKernel, size,
            (float)range[0], (float)range[1], $"trained on {Path.GetFileName(path)}", crop);
    }

    /// <summary>Raw intensities to [0, 1] as the training data was packed.</summary>
    public Tensor Normalise(Tensor raw) => raw.sub(IntensityLow).div(IntensityHigh - IntensityLow).clamp(0, 1);
}
