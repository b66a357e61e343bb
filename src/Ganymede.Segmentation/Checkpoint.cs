using System.Text.Json;
using Ganymede.Formats.SafeTensors;
using Ganymede.NN;
using Ganymede.NN.Optim;

namespace Ganymede.Segmentation;

/// <summary>
/// Where a training run stands: the next epoch and step to run, the early-stopping record, and the options it trains
/// with (<see cref="OptionsRecord"/>).
/// </summary>
public sealed record TrainerState(int Epoch, int Step, double BestDice, int BestEpoch, string OptionsJson);

/// <summary>
/// Model weights (safetensors, PyTorch's names), the model configuration and, for resumable checkpoints, the
/// optimizer state and trainer position.
/// Written atomically (a temporary name, then a rename).
/// </summary>
public static class Checkpoint
{
    private const string OptimizerPrefix = "optimizer.";
    private const string StateKey = "ganymede_trainer_state";

    // A run stopped before its first validation has no best Dice yet (negative infinity), which plain JSON cannot hold.
    private static readonly JsonSerializerOptions StateJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Save(string path, Module model, ModelConfig config, Optimizer? optimizer = null, TrainerState? state = null)
    {
        var tensors = new Dictionary<string, Tensor>(model.state_dict());
        if (optimizer is not null)
            foreach (var (name, value) in optimizer.state_dict()) tensors[OptimizerPrefix + name] = value;
        var metadata = new Dictionary<string, string> { [ModelConfig.MetadataKey] = config.ToJson(), ["format"] = "pt" };
        if (state is not null) metadata[StateKey] = JsonSerializer.Serialize(state, StateJson);
        SafeTensorsFile.Save(path, tensors, metadata);
    }

    /// <summary>The configuration and a model with the checkpoint's weights, in evaluation mode.</summary>
    public static (ModelConfig Config, UNet Model) LoadModel(string path)
    {
        var (tensors, metadata) = Read(path);
        var config = Config(metadata, path);
        var model = config.Build();
        model.load_state_dict(ModelTensors(tensors));
        model.eval();
        return (config, model);
    }

    /// <summary>Restores model, optimizer and trainer position from a resumable checkpoint.</summary>
    public static TrainerState Resume(string path, Module model, Optimizer optimizer)
    {
        var (tensors, metadata) = Read(path);
        if (!metadata.TryGetValue(StateKey, out var stateJson))
            throw new InvalidDataException($"{path}: not a resumable checkpoint (no trainer state); use a run directory's last.safetensors");
        model.load_state_dict(ModelTensors(tensors));
        optimizer.load_state_dict(WithPrefix(tensors, OptimizerPrefix));
        return JsonSerializer.Deserialize<TrainerState>(stateJson, StateJson) ?? throw new InvalidDataException($"{path}: empty trainer state");
    }

    private static Dictionary<string, Tensor> ModelTensors(Dictionary<string, Tensor> tensors) =>
        tensors.Where(kv => !kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).ToDictionary();

    private static Dictionary<string, Tensor> WithPrefix(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such checkpoint", path);
        return SafeTensorsFile.Load(path);
    }

    private static ModelConfig Config(Dictionary<string, string> metadata, string path) =>
        metadata.TryGetValue(ModelConfig.MetadataKey, out var json)
            ? ModelConfig.FromJson(json, path)
            : throw new InvalidDataException($"{path}: not a Ganymede model checkpoint (no '{ModelConfig.MetadataKey}' metadata)");
}
