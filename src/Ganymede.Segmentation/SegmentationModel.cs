using Ganymede.Onnx.Runtime;

namespace Ganymede.Segmentation;

/// <summary>
/// A trained model ready to predict, from a Ganymede checkpoint (.safetensors) or any ONNX model that maps
/// [N, C, H, W] images to per-pixel logits. ONNX files exported by Ganymede carry their configuration; for
/// others it is read off the graph's input, and raw intensities are scaled by each volume's own range.
/// </summary>
public sealed class SegmentationModel : IDisposable
{
    private readonly IDisposable? _owner;

    private SegmentationModel(ModelConfig config, Func<Tensor, Tensor> logits, IDisposable? owner, bool ownNormalisation)
    {
        Config = config;
        Logits = logits;
        _owner = owner;
        NormalisesByVolume = !ownNormalisation;
    }

    public ModelConfig Config { get; }

    /// <summary>Logits [N, K, H, W] for normalised images [N, C, H, W] at the model's input size.</summary>
    public Func<Tensor, Tensor> Logits { get; }

    /// <summary>True for foreign ONNX models, which carry no intensity range: each volume is scaled by its own.</summary>
    public bool NormalisesByVolume { get; }

    public static SegmentationModel Load(string path)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return LoadOnnx(path);
        var (config, model) = Checkpoint.LoadModel(path);
        return new SegmentationModel(config, model.forward, model, ownNormalisation: true);
    }

    private static SegmentationModel LoadOnnx(string path)
    {
        var onnx = OnnxModel.Load(path);
        try
        {
            return FromOnnx(onnx, path);
        }
        catch
        {
            onnx.Dispose();
            throw;
        }
    }

    private static SegmentationModel FromOnnx(OnnxModel onnx, string path)
    {
        if (onnx.Inputs.Length != 1 || onnx.Outputs.Length < 1)
            throw new InvalidDataException($"{path}: a segmentation model takes one image input and gives per-pixel outputs; this one has inputs [{string.Join(", ", onnx.Inputs)}]");
        string input = onnx.Inputs[0], output = onnx.Outputs[0];
        Tensor Run(Tensor x) => onnx.Run(new Dictionary<string, Tensor> { [input] = x })[output];
        if (onnx.Metadata.TryGetValue(ModelConfig.MetadataKey, out var json))
        {
            var config = ModelConfig.FromJson(json, path);
            // Ganymede's exports may end in a sigmoid; predictions work on logits.
            bool probabilities = output.Contains("probabilities", StringComparison.Ordinal);
            return new SegmentationModel(config, probabilities ? x => Logit(Run(x)) : Run, onnx, ownNormalisation: true);
        }
        var dims = onnx.InputInfo[0].Shape;
        if (dims.Length != 4) throw new InvalidDataException($"{path}: input '{input}' has rank {dims.Length}; a segmentation model takes [N, C, H, W]");
        int channels = dims[1] > 0 ? (int)dims[1] : 1;
        int size = dims[2] > 0 ? (int)dims[2] : 0;
        var derived = new ModelConfig("onnx", channels, 1, 0, 0, 0, false, 0, size, 0, 1, $"ONNX model {Path.GetFileName(path)}");
        return new SegmentationModel(derived, Run, onnx, ownNormalisation: false);
    }

    private static Tensor Logit(Tensor p) => p.clamp(1e-7f, 1 - 1e-7f).log().sub(p.neg().add(1f).clamp(1e-7f, 1).log());

    public void Dispose() => _owner?.Dispose();
}
