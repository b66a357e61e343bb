using System.Text.Json.Nodes;

namespace Ganymede.Server.Jobs;

/// <summary>One input of a tool, as GET /api/tools/{id}?io_details=True shows it.</summary>
/// <param name="Type">data, text, integer, float, boolean or select (Galaxy's parameter types).</param>
/// <param name="Min">the smallest value a number may take (Galaxy's min), checked when a job is submitted; <paramref name="Max"/> the largest.</param>
/// <param name="Conditional">the Galaxy conditional this input belongs to: its first input chooses a case, the others count when
/// a case other than the first option is chosen (random_lines1's seed_source); null for a plain input.</param>
public sealed record ToolInput(string Name, string Type, string Label, bool Optional = false, bool Multiple = false,
    string[]? Formats = null, JsonNode? Default = null, string[]? Options = null, string Help = "", double? Min = null, double? Max = null,
    string? Conditional = null);

/// <summary>One output: the dataset the job fills from <paramref name="File"/> in its outputs folder.</summary>
/// <param name="Format">the dataset type, or "auto" to detect it from the file.</param>
/// <param name="File">a file in outputs/, a folder there (zipped), or "$stdout" for the job's log.</param>
public sealed record ToolOutput(string Name, string Format, string Label, string File);

/// <summary>
/// A tool: its interface (inputs, parameters, outputs) and the command lines a job runs for it, like a Galaxy
/// tool's XML and command template. Commands run in the job's work folder as a separate process, so a runner
/// (local now, Slurm next) only needs the job script.
/// </summary>
public abstract class Tool
{
    public abstract string Id { get; }
    public abstract string Name { get; }
    public abstract string Description { get; }
    public virtual string Version => "1.0.0";
    public virtual bool Hidden => false;
    /// <summary>Whether a job of this tool runs commands (a tool form, run again); uploads are stored by their endpoints instead.</summary>
    public virtual bool Runnable => true;
    /// <summary>An interactive tool: its job serves a web application the server proxies (<see cref="Sessions.NotebookSessions"/>) while it runs.</summary>
    public virtual bool Interactive => false;
    /// <summary>The tool's commands call the server (GanymedeClient.FromEnvironment): its jobs get the API channel (<see cref="ApiChannel"/>).</summary>
    public virtual bool UsesApi => false;
    /// <summary>A file in outputs/ the job adds a line of metrics to per epoch while it runs (metrics.csv or .jsonl), for live curves.</summary>
    public virtual string? LiveMetrics => null;
    public abstract IReadOnlyList<ToolInput> Inputs { get; }

    /// <summary>
    /// What the tool's jobs get unless the user asks for more (<see cref="ResourceRequests"/>), chosen from the server's
    /// defaults: its cores per job, its job limits' memory and time, no GPU.
    /// </summary>
    public virtual JobResources Resources(JobResources server) => server;
    public abstract IReadOnlyList<ToolOutput> Outputs { get; }

    /// <summary>
    /// Checks parameter values beyond their types and bounds (called before the job is created); throws
    /// <see cref="ApiException.InvalidInput"/> naming the input at fault.
    /// </summary>
    /// <param name="datasetTypes">each data input's datasets' types, in the order given.</param>
    public virtual void Validate(IReadOnlyDictionary<string, JsonNode?> parameters, IReadOnlyDictionary<string, IReadOnlyList<string>> datasetTypes) { }

    /// <summary>Refuses a slice size the UNet cannot take (it halves its input four times), naming the input.</summary>
    protected static void CheckSliceSize(IReadOnlyDictionary<string, JsonNode?> parameters, string name)
    {
        if (parameters.TryGetValue(name, out var size) && size is not null && size.GetValue<long>() % 16 != 0)
            throw ApiException.InvalidInput(name, $"size {size} must be a multiple of 16: the UNet halves its input four times");
    }

    /// <summary>The command lines to run, in order, in the job's work folder; the first that fails fails the job.</summary>
    public abstract IReadOnlyList<string[]> Commands(JobContext job);

    /// <summary>Files the command made beyond the declared outputs (a script's ONNX models), to add to the history.</summary>
    public virtual IEnumerable<DiscoveredOutput> Discover(JobContext job) => [];
}

public sealed record DiscoveredOutput(string Name, string Path, string DatasetName, bool Visible = true);

/// <summary>What a tool's command builder sees: where things are, the staged inputs, the parameter values.</summary>
public sealed class JobContext
{
    public required long JobId { get; init; }
    public required string Directory { get; init; }
    public string WorkDirectory => Path.Combine(Directory, "work");
    public string OutputDirectory => Path.Combine(WorkDirectory, "outputs");
    /// <summary>How to start the ganymede program (for example ["dotnet", "/opt/ganymede/ganymede.dll"]).</summary>
    public required string[] Ganymede { get; init; }
    /// <summary>Input name to its datasets, each staged as a file in the work folder.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<StagedInput>> Inputs { get; init; }
    public required IReadOnlyDictionary<string, JsonNode?> Parameters { get; init; }
    /// <summary>The path the server proxies an interactive tool's application under ("/interactivetool/ep/ID/").</summary>
    public string EntryPath { get; init; } = "/";

    /// <summary>The staged inputs' paths in the work folder (copies of the datasets: never outputs).</summary>
    public IEnumerable<string> StagedPaths => Inputs.Values.SelectMany(list => list).Select(i => i.Path);

    public StagedInput Input(string name) => Inputs.TryGetValue(name, out var list) && list.Count > 0 ? list[0] : throw new InvalidOperationException($"input {name} is missing");

    public string Parameter(string name, string fallback) =>
        Parameters.TryGetValue(name, out var v) && v is not null && v.ToString() is { Length: > 0 } s ? s : fallback;

    /// <summary>The ganymede program followed by <paramref name="args"/>.</summary>
    public string[] Run(params string[] args) => [.. Ganymede, .. args];
}

/// <param name="Path">the staged file, relative to the work folder.</param>
/// <param name="Name">the dataset's name in the history (usually the uploaded file's name).</param>
public sealed record StagedInput(string Path, string Name, string Extension);
