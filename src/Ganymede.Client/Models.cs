using System.Text.Json.Serialization;

namespace Ganymede.Client;

// What the server returns, as records with Galaxy's field names (snake_case on the wire).

/// <summary>A history; Size is the bytes of every dataset in it not yet purged, its jobs' outputs included.</summary>
public sealed record History(string Id, string Name, string? State, Dictionary<string, long>? StateDetails, bool Deleted, bool Purged, long Size = 0);

public sealed record Dataset(string Id, string HistoryId, long Hid, string Name, string State, string? Extension, string? FileExt, long FileSize,
    string? DownloadUrl, string? Peek, string? MiscInfo, bool Deleted, bool Visible, string? OutputName)
{
    /// <summary>The dataset's type (h5, onnx, csv, ...).</summary>
    [JsonIgnore] public string Type => FileExt ?? Extension ?? "data";

    [JsonIgnore] public bool IsTerminal => State is DatasetStates.Ok or DatasetStates.Empty or DatasetStates.Error or DatasetStates.Discarded or DatasetStates.FailedMetadata;
}

public sealed record DatasetReference(string Id, string Src);

public sealed record Job(string Id, string ToolId, string HistoryId, string State, int? ExitCode, string? Stdout, string? Stderr, string? Info,
    Dictionary<string, DatasetReference>? Outputs, Dictionary<string, DatasetReference>? Inputs, string? UpdateTime = null, JobProgress? Progress = null)
{
    /// <summary>Finished: ok, error or deleted (cancelled), the states Galaxy clients stop polling at.</summary>
    [JsonIgnore] public bool IsTerminal => State is JobStates.Ok or JobStates.Error or JobStates.Deleted;
}

/// <summary>What a running training reports: epoch and step of N, percent done, seconds left, and the last epoch's metrics.</summary>
public sealed record JobProgress(int Epoch, int Epochs, int Step, int Steps, double Percent, double EtaSeconds, double? Loss, EpochFigures? LastMetrics)
{
    public override string ToString() =>
        $"epoch {Epoch}/{Epochs}, step {Step}/{Steps}, {Percent:F1}% done, about {TimeSpan.FromSeconds(EtaSeconds):hh\\:mm\\:ss} left" +
        (LastMetrics is { } m ? $"; epoch {m.Epoch}: loss {m.TrainLoss:F4}, validation Dice {m.Dice:F3}" : "");
}

/// <summary>The metrics of one finished epoch, as a job reports them.</summary>
public sealed record EpochFigures(int Epoch, double? TrainLoss, double? ValidLoss, double? Dice, double? Precision, double? Recall);

/// <summary>Galaxy's job metric (GET /api/jobs/{id}/metrics): name (runtime_seconds, ...), title, shown value and raw value.</summary>
public sealed record JobMetric(string Name, string Title, string Value, string RawValue);

public sealed record Tool(string Id, string Name, string Version, string? Description);

/// <summary>What starting a tool (or an upload) gives: the output datasets, already in the history, and the job making them.</summary>
public sealed record ToolRun(IReadOnlyList<Dataset> Outputs, IReadOnlyList<Job> Jobs);

/// <summary>The result of <see cref="GanymedeClient.RunScriptJobAsync"/>: the history, the finished job, and every dataset in the history.</summary>
public sealed record ScriptJobResult(History History, Job Job, IReadOnlyList<Dataset> Contents)
{
    /// <summary>The ONNX models the script left (from model_outputs/, or saved with SaveModel).</summary>
    public IEnumerable<Dataset> Models => Contents.Where(d => d.Type == "onnx");
}

/// <summary>An error the server answered, with Galaxy's err_code and err_msg.</summary>
public sealed class GanymedeApiException(int status, int code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public int Code { get; } = code;
}

/// <summary>A job that ended in error or was cancelled; carries its stderr.</summary>
public sealed class JobFailedException(Job job) : Exception($"job {job.Id} ({job.ToolId}) ended in {job.State}: {job.Info ?? LastLine(job.Stderr)}")
{
    public Job Job { get; } = job;

    private static string LastLine(string? text) => text?.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
}

/// <summary>The states Galaxy gives a job (<see cref="Job.State"/>).</summary>
public static class JobStates
{
    public const string New = "new", Queued = "queued", Running = "running", Ok = "ok", Error = "error", Deleted = "deleted";
}

/// <summary>The states Galaxy gives a dataset (<see cref="Dataset.State"/>).</summary>
public static class DatasetStates
{
    public const string Upload = "upload", Queued = "queued", Running = "running", Ok = "ok", Empty = "empty", Error = "error",
        Discarded = "discarded", FailedMetadata = "failed_metadata";
}

public sealed record Workflow(string Id, string Name, bool Published, bool Deleted, int NumberOfSteps);

/// <summary>A workflow run: its steps reached so far (each with its jobs and outputs) and, once done, its labelled outputs.</summary>
public sealed record Invocation(string Id, string WorkflowId, string HistoryId, string State, IReadOnlyList<InvocationStep> Steps,
    Dictionary<string, DatasetReference>? Outputs, Dictionary<string, DatasetReference>? OutputCollections, IReadOnlyList<InvocationMessage>? Messages);

public sealed record InvocationStep(string Id, int OrderIndex, string State, string? WorkflowStepLabel, string? Info, IReadOnlyList<Job>? Jobs,
    Dictionary<string, DatasetReference>? Outputs);

public sealed record InvocationMessage(string Reason, int? WorkflowStepId, string? Details);
