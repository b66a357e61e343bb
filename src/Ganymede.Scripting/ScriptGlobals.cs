using System.Text.Json.Nodes;
using Ganymede.NN;
using Ganymede.Onnx;
using Ganymede.Segmentation;

namespace Ganymede.Scripting;

/// <summary>What a script sees besides its own variables: its inputs by name, its parameters, and where outputs go.</summary>
public class ScriptGlobals
{
    /// <summary>Input datasets by name (the uploaded file's name, e.g. "combined_CT_datasets.h5") to their path.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = new Dictionary<string, string>();

    /// <summary>The job's parameters (a JSON object), read with <see cref="Parameter{T}"/>.</summary>
    public JsonObject Parameters { get; init; } = [];

    /// <summary>Where models saved with <see cref="SaveModel"/> go (model_outputs/, as in the original tool).</summary>
    public string ModelDirectory { get; init; } = "model_outputs";

    /// <summary>A parameter's value, or <paramref name="fallback"/> when the job did not set it.</summary>
    public T Parameter<T>(string name, T fallback) => Parameters[name] is { } value ? value.GetValue<T>() : fallback;

    /// <summary>Cancelled when the run should stop (the kernel's interrupt); never for a script run as a job.</summary>
    public virtual CancellationToken Cancellation => CancellationToken.None;

    /// <summary>
    /// What watches a training run (give it to Trainer.Run as progress, and its Epoch as onEpoch): in a job, a line per
    /// epoch in the log and the progress the server shows; in a notebook, a live progress line and curves.
    /// </summary>
    public virtual ITrainingObserver TrainingView() => TrainingReport.FromEnvironment();

    /// <summary>The path of an input dataset by its name; the error lists the names there are.</summary>
    public string Input(string name) => Inputs.TryGetValue(name, out var path) ? path
        : throw new KeyNotFoundException($"no input named '{name}'; the inputs are: {(Inputs.Count == 0 ? "none" : string.Join(", ", Inputs.Keys))}");

    /// <summary>Exports a model to ONNX as model_outputs/onnx_model_NAME.onnx (the job adds it to the history).</summary>
    /// <param name="inputShape">one input's shape without the batch: channels, height, width.</param>
    public string SaveModel(Module model, string name, params int[] inputShape)
    {
        Directory.CreateDirectory(ModelDirectory);
        var path = Path.Combine(ModelDirectory, $"onnx_model_{name}.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, inputShape), path);
        return path;
    }
}
