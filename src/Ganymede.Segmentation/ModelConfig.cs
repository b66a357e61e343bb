using System.Text.Json;
using Ganymede.NN;

namespace Ganymede.Segmentation;

/// <summary>
/// Everything needed to rebuild a trained model and feed it as in training: the architecture, the input size,
/// and the intensity range that maps raw slice values to [0, 1]. Stored in every checkpoint's metadata.
/// </summary>
public sealed record ModelConfig(
    string Architecture, int InChannels, int OutChannels, int Base, int Depth, float Dropout, bool ConvBias, int UpKernel,
    int InputSize, float IntensityLow, float IntensityHigh, string Description)
{
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

    /// <summary>Raw intensities to [0, 1] as the training data was packed.</summary>
    public Tensor Normalise(Tensor raw) => raw.sub(IntensityLow).div(IntensityHigh - IntensityLow).clamp(0, 1);
}
