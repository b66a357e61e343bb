using System.Text.Json;
using Ganymede.Formats.Datasets;
using Ganymede.NN;

namespace Ganymede.Segmentation;

/// <summary>
/// Everything needed to rebuild a trained model and feed it as in training: the architecture, the input size,
/// the intensity range that maps raw slice values to [0, 1], and whether slices were cut to the body first
/// ("body", see BodyCrop; "none" or absent in older files: whole slices), and the slices it was trained and validated on
/// (ids "volume:slice", see SliceId; absent in older files), so that scoring them again can be flagged. Stored in every
/// checkpoint's and ONNX export's metadata.
/// </summary>
public sealed record ModelConfig(
    string Architecture, int InChannels, int OutChannels, int Base, int Depth, float Dropout, bool ConvBias, int UpKernel,
    int InputSize, float IntensityLow, float IntensityHigh, string Description, string? Crop = "none",
    string[]? TrainedOn = null, string[]? ValidatedOn = null)
{
    /// <summary>The ids among <paramref name="ids"/> that this model saw in training or validation.</summary>
    public string[] Seen(IEnumerable<string> ids)
    {
        var seen = new HashSet<string>((TrainedOn ?? []).Concat(ValidatedOn ?? []));
        return ids.Where(seen.Contains).ToArray();
    }

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

    /// <summary>
    /// The model configuration for training on an H5 file of `data pack`: channels from the file, input size from its
    /// slices, intensity range and crop from its <see cref="PackInfo"/>, and the ids of the training and validation slices.
    /// </summary>
    public static ModelConfig ForData(string path, SegmentationSplit train, TrainOptions o, SegmentationSplit? valid = null)
    {
        var packing = train.Packing ?? new PackInfo(0, 1, "none", 0, []);
        int size = train.Images.size(2), multiple = 1 << o.Depth;
        if (size % multiple != 0 || train.Images.size(3) != size)
            throw new ArgumentException($"{path} holds {train.Images.size(2)}x{train.Images.size(3)} slices, but the UNet halves them {o.Depth} times, so they must be square " +
                $"with a side that is a multiple of {multiple}: pack again with --size {Math.Max(multiple, size / multiple * multiple)}, or train with --size {Math.Max(multiple, size / multiple * multiple)}");
        return new ModelConfig("unet", train.Images.size(1), train.Masks.size(1), o.Base, o.Depth, o.Dropout, o.ConvBias, o.UpKernel, size,
            packing.Low, packing.High, $"trained on {Path.GetFileName(path)}", packing.Crop, train.SliceIds, valid?.SliceIds);
    }

    /// <summary>Raw intensities to [0, 1] as the training data was packed.</summary>
    public Tensor Normalise(Tensor raw) => raw.sub(IntensityLow).div(IntensityHigh - IntensityLow).clamp(0, 1);
}
