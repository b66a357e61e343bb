using System.Text.Json.Nodes;

namespace Ganymede.Server.Jobs;

/// <summary>
/// ganymede_run_script, the analogue of the original run_jupyter_job: runs a C# script (.csx) or notebook
/// (.ipynb) with the engine loaded. The uploaded datasets are placed at the paths the script was written
/// against (ml_h5_dataset_paths, matched by position, as the original substitutes them), and are also found by
/// name through the script's Inputs dictionary.
/// </summary>
public sealed class RunScriptTool : Tool
{
    public override string Id => "ganymede_run_script";
    public override string Name => "Run a C# script or notebook";
    public override string Description => "with Ganymede's engine, on uploaded datasets";
    /// <summary>A script may send datasets and jobs to the server as its owner (remote training from a script).</summary>
    public override bool UsesApi => true;
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("select_file", "data", "Script or notebook", Formats: ["csx", "ipynb", "txt"], Help: "C# script (.csx) or notebook (.ipynb) whose C# code cells run in order"),
        new("ml_h5_datasets", "data", "Datasets", Optional: true, Multiple: true, Formats: ["h5"], Help: "available to the script by name and at the paths below"),
        new("ml_h5_dataset_paths", "text", "Data paths", Optional: true, Help: "comma-separated paths the script opens, matched to the datasets by position"),
        new("parameters", "text", "Parameters", Optional: true, Help: "a JSON object: in a notebook, set after its cell tagged 'parameters' (as papermill does); in any script, Parameters"),
    ];

    private const string ArraysFile = "arrays.h5", WorkdirZip = "workdir.zip";

    public override IReadOnlyList<ToolOutput> Outputs { get; } =
    [
        new("outfile_output_arrays", "h5", "Saved arrays", ArraysFile),
        new("outfile_output_zip", "zip", "Zipped files", WorkdirZip),
        new("log", "txt", "Log", "$stdout"),
    ];

    public override void Validate(IReadOnlyDictionary<string, JsonNode?> parameters, IReadOnlyDictionary<string, IReadOnlyList<string>> datasetTypes)
    {
        var paths = DataPaths(parameters);
        foreach (var path in paths)
            try { SafeRelativePath(path); } catch (ApiException e) { throw ApiException.InvalidInput("ml_h5_dataset_paths", e.Message); }
        int given = datasetTypes["ml_h5_datasets"].Count;
        if (paths.Length > 0 && paths.Length != given)
            throw ApiException.InvalidInput("ml_h5_dataset_paths", $"ml_h5_dataset_paths names {paths.Length} path(s) for {given} dataset(s) in ml_h5_datasets; they are matched by position");
        if (parameters.TryGetValue("parameters", out var p) && p?.ToString() is { Length: > 0 } text)
        {
            try { if (JsonNode.Parse(text, documentOptions: new() { AllowDuplicateProperties = false }) is not JsonObject) throw ApiException.InvalidInput("parameters", "parameters: expected a JSON object"); }
            catch (System.Text.Json.JsonException e) { throw ApiException.InvalidInput("parameters", $"parameters: not valid JSON ({e.Message})"); }
        }
    }

    /// <summary>The paths the script expects its datasets at; the i-th dataset is staged at the i-th path.</summary>
    public static string[] DataPaths(IReadOnlyDictionary<string, JsonNode?> parameters) =>
        parameters.TryGetValue("ml_h5_dataset_paths", out var v) && v?.ToString() is { Length: > 0 } s
            ? s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [];

    /// <summary>A path a client asked for inside the work folder: relative, without '..', NUL or control characters.</summary>
    public static string SafeRelativePath(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (path.Length > 512 || path.StartsWith('/') || path.StartsWith('~') || parts.Length == 0
            || parts.Any(p => p is "." or ".." || p.Any(char.IsControl)) || parts[0] is "outputs" or "model_outputs" || parts is ["parameters.json"])
            throw ApiException.BadRequest($"data path '{path.Replace("\0", "\\0", StringComparison.Ordinal)}' must be a relative path inside the job's folder, without '..'");
        return string.Join('/', parts);
    }

    public override IReadOnlyList<string[]> Commands(JobContext job)
    {
        var args = new List<string> { "script", "run", job.Input("select_file").Path, "--outputs", "outputs" };
        if (job.Inputs.TryGetValue("ml_h5_datasets", out var data))
            foreach (var d in data) args.AddRange(["--input", $"{d.Name}={d.Path}"]);
        if (job.Parameter("parameters", "") is { Length: > 0 } p)
        {
            File.WriteAllText(Path.Combine(job.WorkDirectory, "parameters.json"), p);
            args.AddRange(["--parameters", "parameters.json"]);
        }
        return [job.Run([.. args])];
    }

    /// <summary>
    /// ONNX models the script saved (model_outputs/ holds those exported from its Module variables), H5 files it
    /// wrote into its folder (the copies of its inputs are not outputs), and every file it wrote into outputs/ as
    /// "output_" and the file's name, which a workflow's next step can read. Whatever else sits under such a name (a
    /// link, a pipe) is offered too, and refused when collected.
    /// </summary>
    public override IEnumerable<DiscoveredOutput> Discover(JobContext job)
    {
        var inputs = job.StagedPaths.Select(p => Path.GetFullPath(Path.Combine(job.WorkDirectory, p))).ToHashSet();
        IEnumerable<string> Files(string directory, string pattern) => Directory.Exists(directory)
            ? Directory.EnumerateFileSystemEntries(directory, pattern).Where(f => !inputs.Contains(Path.GetFullPath(f))).Order(StringComparer.Ordinal)
            : [];
        foreach (var file in Files(job.WorkDirectory, "*.onnx").Concat(Files(Path.Combine(job.WorkDirectory, "model_outputs"), "*.onnx")))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            yield return new DiscoveredOutput(name.StartsWith("onnx_model_", StringComparison.Ordinal) ? name : "onnx_model_" + name, file, Path.GetFileName(file));
        }
        foreach (var file in Files(job.WorkDirectory, "*.h5"))
            yield return new DiscoveredOutput("h5_" + Path.GetFileNameWithoutExtension(file), file, Path.GetFileName(file));
        foreach (var file in Files(job.OutputDirectory, "*").Where(f => Path.GetFileName(f) is not (ArraysFile or WorkdirZip)))
            yield return new DiscoveredOutput("output_" + Path.GetFileName(file), file, Path.GetFileName(file));
    }
}

/// <summary>ganymede_train_unet: the segmentation training of `ganymede train` on an uploaded H5 dataset.</summary>
public sealed class TrainUnetTool : Tool
{
    public override string Id => "ganymede_train_unet";
    public override string Name => "Train a segmentation UNet";
    public override string Description => "on an H5 dataset (X_train, y_train, X_valid, y_valid)";
    public override string? LiveMetrics => "run/metrics.csv";
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("data", "data", "Training data", Formats: ["h5"], Help: "as written by 'ganymede data pack'"),
        new("epochs", "integer", "Epochs", Optional: true, Help: "default: the recipe's own", Min: 1),
        new("size", "integer", "Input size", Optional: true, Help: "slices are resized to this size, a multiple of 16 (default: the data's own)", Min: 16),
        new("base", "integer", "UNet base width", Optional: true, Help: "default: the recipe's own", Min: 1),
        new("seed", "integer", "Seed", Optional: true, Default: 0, Min: 0),
        new("preset", "select", "Recipe", Optional: true, Default: "default", Options: ["default", "paper"]),
    ];

    public override IReadOnlyList<ToolOutput> Outputs { get; } =
    [
        new("model", "onnx", "Trained model (ONNX)", "model.onnx"),
        new("checkpoint", "safetensors", "Best checkpoint", "run/best.safetensors"),
        new("metrics", "csv", "Metrics per epoch", "run/metrics.csv"),
        new("curves", "png", "Training curves", "run/curves.png"),
        new("figure", "png", "Predictions on held-out slices", "validation.png"),
        new("log", "txt", "Log", "$stdout"),
    ];

    public override void Validate(IReadOnlyDictionary<string, JsonNode?> parameters, IReadOnlyDictionary<string, IReadOnlyList<string>> datasetTypes)
    {
        CheckSliceSize(parameters, "size");
    }

    public override IReadOnlyList<string[]> Commands(JobContext job)
    {
        var data = job.Input("data").Path;
        var train = new List<string> { "train", "--data", data, "--out", "outputs/model.onnx", "--run-dir", "outputs/run",
            "--seed", job.Parameter("seed", "0"), "--preset", job.Parameter("preset", "default") };
        // Left out, these come from the preset, as on the command line.
        foreach (var name in new[] { "epochs", "base", "size" })
            if (job.Parameter(name, "") is { Length: > 0 } value) train.AddRange([$"--{name}", value]);
        return [job.Run([.. train]), job.Run("predict", "--model", "outputs/model.onnx", "--images", data, "--out", "outputs/run/validation_pred.h5", "--figure", "outputs/validation.png")];
    }
}

/// <summary>ganymede_predict: an ONNX model and an image volume in, masks (in the volume's format) and figures out.</summary>
public sealed class PredictTool : Tool
{
    public override string Id => "ganymede_predict";
    public override string Name => "Predict segmentation masks";
    public override string Description => "with an ONNX model, on a NIfTI volume, H5 dataset or DICOM series";
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("model", "data", "Model", Formats: ["onnx"]),
        new("images", "data", "Images", Formats: ["nii", "nii.gz", "h5", "zip"], Help: "a NIfTI volume of slices, an H5 file with X_test or X_valid, or a DICOM series as a zip archive"),
        new("threshold", "float", "Threshold", Optional: true, Default: 0.5, Help: "probability above which a pixel is infection, between 0 and 1"),
        new("tta", "boolean", "Test-time augmentation", Optional: true, Default: false),
    ];

    public override IReadOnlyList<ToolOutput> Outputs { get; } =
    [
        new("masks", "auto", "Predicted masks", "masks.*"),
        new("figures", "zip", "Figures (CT, prediction)", "figures"),
        new("log", "txt", "Log", "$stdout"),
    ];

    public override void Validate(IReadOnlyDictionary<string, JsonNode?> parameters, IReadOnlyDictionary<string, IReadOnlyList<string>> datasetTypes)
    {
        if (parameters.TryGetValue("threshold", out var t) && t is not null && t.GetValue<double>() is <= 0 or >= 1) throw ApiException.InvalidInput("threshold", "threshold must be between 0 and 1");
    }

    public override IReadOnlyList<string[]> Commands(JobContext job)
    {
        var images = job.Input("images");
        // A DICOM series has no NIfTI geometry to write masks with: its masks go to H5, as an H5 input's do.
        string masks = images.Extension is "h5" or "zip" ? "outputs/masks.h5" : "outputs/masks.nii.gz";
        var args = new List<string> { "predict", "--model", job.Input("model").Path, "--images", images.Path, "--out", masks, "--threshold", job.Parameter("threshold", "0.5"), "--png", "outputs/figures" };
        if (job.Parameter("tta", "false").Equals("true", StringComparison.OrdinalIgnoreCase)) args.Add("--tta");
        return [job.Run([.. args])];
    }
}
