using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;
using Ganymede.Formats;
using Ganymede.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Services;

/// <summary>What happens when a job's process has ended: its declared and discovered outputs become datasets.</summary>
public sealed class JobCompletion(JobStore jobs, DatasetStore datasets, FileStore files, ToolBox tools, FileInspector inspector, ServerOptions options,
    ILogger<JobCompletion> log)
{
    /// <summary>
    /// Stores the outputs of a job whose process exited with <paramref name="exitCode"/>, then ends the job ok or in
    /// error. What the job left is untrusted (<see cref="UntrustedFiles"/>): only regular files of its own are copied (or
    /// zipped, for folders), hashed and described under temporary names before they become datasets by a rename, so a
    /// dataset is whole or absent. An output that cannot be collected fails, with the reason, and so does the job, once.
    /// A job cancelled meanwhile keeps its cancellation, and what was stored for it is discarded.
    /// </summary>
    public void Complete(JobRecord job, int exitCode)
    {
        var dir = files.JobDirectory(job.Id);
        var tool = tools.Find(job.ToolId)!;
        var outputs = jobs.Outputs(job);
        string? failure = exitCode == 0 ? null : $"the tool exited with code {exitCode}: {LastLines(Path.Combine(dir, JobScript.Stderr), 3)}";
        var context = new JobContext { JobId = job.Id, Directory = dir, Ganymede = options.GanymedeCommand, Inputs = StagedInputs(dir), Parameters = new Dictionary<string, JsonNode?>() };
        foreach (var output in tool.Outputs)
        {
            if (!outputs.TryGetValue(output.Name, out var id)) continue;
            if (datasets.Get(id) is { State: DatasetStates.Ok }) continue; // finished before a restart
            var file = output.File == "$stdout" ? CombinedLog(dir) : exitCode == 0 ? Locate(context.OutputDirectory, output.File) : null;
            if (file is null)
            {
                failure ??= $"the tool did not write its output {output.Name} ({output.File})";
                datasets.SetState(id, DatasetStates.Error, failure);
                continue;
            }
            failure = Store(id, file, Path.GetRelativePath(dir, file), output.Format == "auto" ? null : output.Format) ?? failure;
        }
        if (exitCode == 0)
            foreach (var found in tool.Discover(context))
            {
                // A collection cut short by a stop found some outputs already: they keep their datasets.
                bool declared = tool.Outputs.Any(o => o.Name == found.Name);
                if (!declared && outputs.TryGetValue(found.Name, out var earlier))
                {
                    if (datasets.Get(earlier) is not { State: DatasetStates.Ok or DatasetStates.Empty })
                        failure = StoreFound(earlier, found) ?? failure;
                    continue;
                }
                var d = datasets.Create(job.HistoryId, job.UserId, found.DatasetName, "data", DatasetStates.Running, job.Id, found.DatasetName, found.Visible);
                outputs[UniqueName(outputs, found.Name)] = d.Id;
                jobs.SetOutputs(job.Id, JsonSerializer.Serialize(outputs));
                failure = StoreFound(d.Id, found) ?? failure;
            }
        bool ok = failure is null;

        // A session's file that could not be stored is not lost: it stays where the user left it.
        string? StoreFound(long id, DiscoveredOutput found) =>
            Store(id, found.Path, Path.GetRelativePath(dir, found.Path), null) is { } refused
                ? tool.Interactive ? $"{refused}; it is kept in the session's folder on the server" : refused
                : null;
        if (!jobs.Transition(job.Id, JobStates.Running, ok ? JobStates.Ok : JobStates.Error, exitCode: exitCode, info: failure))
        {
            Discard(job, "the job was cancelled");
            return;
        }
        // A stop between creating a found output's dataset and recording it left that dataset unfinished and unlisted.
        datasets.EndOrphans("the server stopped while this output was being collected");
        log.LogInformation("job {Job} ({Tool}) finished: {State}", job.Id, job.ToolId, ok ? "ok" : failure);
    }

    /// <summary>
    /// Copies a file the job left (a folder is zipped) into a dataset and marks it ok; the rename makes it appear whole
    /// or not at all. Returns why it could not, having marked the dataset in error, or null.
    /// </summary>
    private string? Store(long datasetId, string file, string shownName, string? format)
    {
        var temporary = files.NewTemporaryPath();
        try
        {
            // A folder (not a link to one) is zipped; everything else must be a regular file.
            if (new DirectoryInfo(file) is { Exists: true, LinkTarget: null }) UntrustedFiles.ZipFolder(file, shownName, temporary);
            else UntrustedFiles.CopyRegular(file, shownName, temporary);
            var d = datasets.Get(datasetId)!;
            var facts = inspector.Inspect(temporary, d.Name, format, new FileInfo(temporary).Length, FileStore.Sha256Of(temporary));
            files.CommitDataset(temporary, datasetId);
            datasets.Complete(datasetId, facts, facts.Size == 0 ? DatasetStates.Empty : DatasetStates.Ok);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            var reason = e is UntrustedFileException ? e.Message : $"{shownName} could not be collected: {e.Message}";
            datasets.SetState(datasetId, DatasetStates.Error, reason);
            return reason;
        }
        finally
        {
            File.Delete(temporary); // gone already when it became the dataset
        }
    }

    /// <summary>The inputs the job folder was given (written by the server before the job started, outside its work folder).</summary>
    private static Dictionary<string, IReadOnlyList<StagedInput>> StagedInputs(string dir)
    {
        var path = Path.Combine(dir, JobScript.StagedInputs);
        return File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, List<StagedInput>>>(File.ReadAllText(path))!.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<StagedInput>)kv.Value)
            : [];
    }

    private static string UniqueName(Dictionary<string, long> outputs, string name)
    {
        string unique = name;
        for (int i = 2; outputs.ContainsKey(unique); i++) unique = $"{name}_{i}";
        return unique;
    }

    /// <summary>A declared output's file: a path in outputs/, or the first match of a "name.*" pattern there.</summary>
    private static string? Locate(string outputDirectory, string file)
    {
        if (!file.Contains('*', StringComparison.Ordinal))
        {
            var path = Path.Combine(outputDirectory, file);
            // A link counts as written, dangling or not: collecting it then says what it is.
            return File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null ? path : null;
        }
        return Directory.EnumerateFiles(outputDirectory, file).Order(StringComparer.Ordinal).FirstOrDefault();
    }

    private string CombinedLog(string dir)
    {
        var path = Path.Combine(dir, "log.txt");
        using var log = File.Create(path);
        foreach (var name in new[] { JobScript.Stdout, JobScript.Stderr })
        {
            var part = Path.Combine(dir, name);
            if (!File.Exists(part)) continue;
            using var s = File.OpenRead(part);
            s.CopyTo(log);
        }
        return path;
    }

    /// <summary>
    /// Marks every output of a cancelled job discarded: those still to come, and any stored while the cancellation
    /// arrived (the job's result no longer counts).
    /// </summary>
    public void Discard(JobRecord job, string reason)
    {
        foreach (var id in jobs.Outputs(job).Values)
            if (datasets.Get(id) is { } d && d.State != DatasetStates.Discarded) datasets.SetState(id, DatasetStates.Discarded, reason);
    }

    private static string LastLines(string path, int count) =>
        File.Exists(path) ? string.Join(" | ", File.ReadLines(path).Where(l => l.Trim().Length > 0).TakeLast(count)) : "";
}
