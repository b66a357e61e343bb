using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Formats;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Jobs;

/// <summary>
/// What a running job tells about itself: the structured progress it writes to <see cref="JobScript.Progress"/> (epoch
/// and step of N, percent, ETA, last metrics; see Ganymede.Segmentation.TrainingReport), and Galaxy's job metrics
/// (start, end, wall-clock runtime, cores) from the job folder. A job's output is untrusted: a file too large, or not
/// a JSON object, is ignored.
/// </summary>
public static class JobProgress
{
    private const int MaxBytes = 64 * 1024;

    /// <summary>The progress the job last wrote, if it is newer than <paramref name="since"/>; null otherwise.</summary>
    public static (string Json, DateTime Written)? ReadIfNewer(string jobDirectory, DateTime since)
    {
        var file = new FileInfo(Path.Combine(jobDirectory, "work", JobScript.Progress));
        try
        {
            if (!file.Exists || file.LastWriteTimeUtc <= since) return null;
            // Opened as what it is, never followed or waited on: the job may have left a link or a pipe under that name.
            using var stream = UntrustedFiles.OpenRegular(file.FullName, JobScript.Progress);
            if (stream.Length > MaxBytes) return null;
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            // JSON parsing checks strings' UTF-8 only when they are read: checked here, before.
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) return null;
            return JsonNode.Parse(bytes, documentOptions: new() { AllowDuplicateProperties = false }) is JsonObject progress ? (progress.ToJsonString(), file.LastWriteTimeUtc) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // rewritten while read, or not a JSON object: the next poll tries again
        }
    }

    /// <summary>
    /// Galaxy's job metrics (GET /api/jobs/{id}/metrics): start and end time, runtime in seconds, the cores, memory and
    /// GPUs allocated, the host it ran on, and once it ended its exit code, the most memory it held and its CPU time
    /// (Galaxy's cgroup plugin's figures) where the control groups measured them. job.sh writes them outside the
    /// sandbox, after the job's processes are gone.
    /// </summary>
    public static List<Dictionary<string, object?>> Metrics(JobRecord job, string jobDirectory, JobResources? resources)
    {
        var metrics = new List<Dictionary<string, object?>>();
        var started = Path.Combine(jobDirectory, JobScript.Started);
        if (!File.Exists(started) || !double.TryParse(File.ReadAllText(started).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double start)) return metrics;
        var exit = new FileInfo(Path.Combine(jobDirectory, JobScript.ExitCode));
        double end = exit.Exists ? (exit.LastWriteTimeUtc - DateTime.UnixEpoch).TotalSeconds
            : JobStates.IsTerminal(job.State) ? start : (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        double runtime = Math.Max(0, end - start);
        metrics.Add(Metric("start_epoch", "Job Start Time", start, DateTime.UnixEpoch.AddSeconds(start).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)));
        if (exit.Exists) metrics.Add(Metric("end_epoch", "Job End Time", end, DateTime.UnixEpoch.AddSeconds(end).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)));
        metrics.Add(Metric("runtime_seconds", "Job Runtime (Wall Clock)", runtime, Duration(runtime)));
        if (resources is not null)
        {
            metrics.Add(Metric("galaxy_slots", "Cores Allocated", resources.Cores, resources.Cores.ToString(CultureInfo.InvariantCulture)));
            metrics.Add(Metric("galaxy_memory_mb", "Memory Allocated (MB)", resources.MemoryBytes >> 20, (resources.MemoryBytes >> 20).ToString(CultureInfo.InvariantCulture)));
            metrics.Add(Metric("galaxy_gpus", "GPUs Allocated", resources.Gpus, resources.Gpus.ToString(CultureInfo.InvariantCulture)));
        }
        if (ReadLine(jobDirectory, JobScript.Host) is { Length: > 0 } host) metrics.Add(Metric("hostname", "Hostname", 0, host, plugin: "hostname", raw: host));
        if (JobScript.TryReadExitCode(jobDirectory, out int code)) metrics.Add(Metric("exit_code", "Exit Code", code, code.ToString(CultureInfo.InvariantCulture)));
        if (long.TryParse(ReadLine(jobDirectory, JobScript.MemoryPeak), NumberStyles.None, CultureInfo.InvariantCulture, out long bytes))
            metrics.Add(Metric("memory.max_usage_in_bytes", "Max memory usage (MEM)", bytes, Api.GalaxyViews.NiceSize(bytes), plugin: "cgroup"));
        if (double.TryParse(ReadLine(jobDirectory, JobScript.CpuTime), NumberStyles.Float, CultureInfo.InvariantCulture, out double cpu))
            metrics.Add(Metric("cpuacct.usage", "CPU Time", cpu, Duration(cpu), plugin: "cgroup"));
        return metrics;
    }

    /// <summary>The first line of a small file job.sh wrote in the job folder, or null.</summary>
    private static string? ReadLine(string jobDirectory, string name)
    {
        var path = Path.Combine(jobDirectory, name);
        try { return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null; }
        catch (IOException) { return null; }
    }

    private static Dictionary<string, object?> Metric(string name, string title, double number, string value, string plugin = "core", string? raw = null) => new()
    {
        ["title"] = title, ["value"] = value, ["plugin"] = plugin, ["name"] = name, ["raw_value"] = raw ?? number.ToString("F7", CultureInfo.InvariantCulture),
    };

    private static string Duration(double seconds) => seconds switch
    {
        < 60 => $"{seconds:F0} seconds",
        < 3600 => $"{(int)(seconds / 60)} minutes and {seconds % 60:F0} seconds",
        _ => $"{(int)(seconds / 3600)} hours and {(int)(seconds % 3600 / 60)} minutes",
    };
}
