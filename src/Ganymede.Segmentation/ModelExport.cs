using Ganymede.Onnx;

namespace Ganymede.Segmentation;

/// <summary>Turns a training checkpoint into the shareable model: ONNX with the configuration and normalisation in its metadata.</summary>
public static class ModelExport
{
    public static void ToOnnx(string checkpoint, string output, int opset = 17, bool probabilities = false)
    {
        var (config, model) = Checkpoint.LoadModel(checkpoint);
        using var _ = model;
        var metadata = new Dictionary<string, string>
        {
            [ModelConfig.MetadataKey] = config.ToJson(),
            ["input_size"] = $"{config.InputSize}x{config.InputSize}",
            ["normalisation"] = $"(x - {config.IntensityLow}) / ({config.IntensityHigh} - {config.IntensityLow}), clamped to [0, 1]",
            ["training_data"] = config.Description,
            ["output"] = probabilities ? "per-pixel infection probabilities" : "per-pixel infection logits (sigmoid for probabilities)",
        };
        var proto = OnnxExporter.Export(model, config.InChannels, config.InputSize, config.InputSize,
            new OnnxExportOptions { Opset = opset, Probabilities = probabilities, Metadata = metadata });
        OnnxExporter.Save(proto, output);
    }
}
