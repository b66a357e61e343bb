using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Ganymede.Server.Jobs;

/// <summary>What a runner knows of a job's process.</summary>
public enum RunnerState { Running, Exited, Lost }

/// <summary>
/// Starts and watches job scripts. A job is a folder with job.sh that writes its own stdout, stderr and exit
/// code into the folder, so the process outlives the server and a restarted server can read how it ended.
/// The local runner starts job.sh as a process; a Slurm runner would sbatch the same script.
/// </summary>
public interface IJobRunner
{
    /// <summary>
    /// Starts the job's script and returns the handle to find it again (a process id, a Slurm job id). A runner that
    /// places jobs asks its scheduler for <paramref name="resources"/>; it throws when the scheduler refuses them.
    /// </summary>
    string Launch(string jobDirectory, JobResources resources);

    RunnerState Poll(string externalId, string jobDirectory, out int exitCode);

    void Kill(string externalId, string jobDirectory);

    /// <summary>True where the runner decides which cores a job gets (Slurm); the server chooses them for the local runner.</summary>
    bool PlacesJobs { get; }
}

/// <summary>
/// The job's two scripts. job.sh, run by the runner as root, holds this job's settings followed by the same supervisor
/// for every job (job-template.sh): it applies the limits, starts the sandbox, writes stdout, stderr and the exit code
/// into the job folder (the exit code last, atomically), and ends every process of the job. run.sh holds the tool's
/// commands, each quoted for bash, and runs inside the sandbox in the work folder.
/// </summary>
public static class JobScript
{
    public const string FileName = "job.sh", Commands = "run.sh", Stdout = "stdout.txt", Stderr = "stderr.txt", ExitCode = "exit_code", Started = "started",
        StagedInputs = "inputs.json", Cores = "cores", GpuIds = "gpus", MemoryPeak = "memory_peak", CpuTime = "cpu_seconds", Host = "host",
        Launched = "launched";

    /// <summary>The progress file a training writes, in its work folder (so inside the sandbox, and untrusted).</summary>
    public const string Progress = "progress.json";

    private static readonly string Template = ReadTemplate();

    /// <summary>Writes both scripts; returns the commands as one text (the job's command_line).</summary>
    public static string Write(string jobDirectory, IReadOnlyList<string[]> commands, Sandbox sandbox)
    {
        var run = new StringBuilder("#!/bin/bash\n# The job's commands, run inside its sandbox in its work folder; the first that fails ends the job.\n");
        foreach (var (name, value) in sandbox.Secrets ?? new Dictionary<string, string>()) run.Append("export ").Append(name).Append('=').Append(Quote(value)).Append('\n');
        for (int i = 0; i < commands.Count; i++)
            run.AppendJoin(' ', commands[i].Select(Quote)).Append(i < commands.Count - 1 ? " || exit $?\n" : "\n");
        File.WriteAllText(Path.Combine(jobDirectory, Commands), run.ToString());

        var limits = sandbox.Limits;
        var settings = new (string Name, string Value)[]
        {
            ("JOB_DIR", jobDirectory), ("JOB_NAME", sandbox.Name), ("SANDBOX_UID", sandbox.Uid.ToString(CultureInfo.InvariantCulture)),
            ("MEMORY_BYTES", limits.MemoryBytes.ToString(CultureInfo.InvariantCulture)), ("MEMORY_TEXT", JobLimits.FormatBytes(limits.MemoryBytes)),
            ("MAX_PROCESSES", limits.MaxProcesses.ToString(CultureInfo.InvariantCulture)),
            ("WALL_SECONDS", ((long)limits.WallTime.TotalSeconds).ToString(CultureInfo.InvariantCulture)), ("WALL_TEXT", JobLimits.FormatDuration(limits.WallTime)),
            ("DISK_BYTES", limits.DiskBytes.ToString(CultureInfo.InvariantCulture)), ("DISK_TEXT", JobLimits.FormatBytes(limits.DiskBytes)),
            ("CORES", sandbox.Cores), ("RUNNER_GPUS", sandbox.RunnerGpus.ToString(CultureInfo.InvariantCulture)),
        };
        var job = new StringBuilder("#!/bin/bash\n# Written by the Ganymede server; the runner executes it as it is.\n");
        foreach (var (name, value) in settings) job.Append(name).Append('=').Append(Quote(value)).Append('\n');
        job.Append("SANDBOX=(").AppendJoin(' ', sandbox.Command(Path.Combine(jobDirectory, "work"), Path.Combine(jobDirectory, Commands)).Select(Quote)).Append(")\n\n");
        job.Append(Template);
        var path = Path.Combine(jobDirectory, FileName);
        File.WriteAllText(path, job.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return string.Join("\n", commands.Select(c => string.Join(' ', c.Select(Quote))));
    }

    private static string ReadTemplate()
    {
        using var stream = typeof(JobScript).Assembly.GetManifestResourceStream("Ganymede.Server.Jobs.job-template.sh")
            ?? throw new InvalidOperationException("job-template.sh is missing from the server's resources");
        return new StreamReader(stream).ReadToEnd();
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Records the runner's id of a launched job in its folder, before the database hears of it: a server adopting the
    /// job of one that died between the two then watches it instead of launching it again.
    /// </summary>
    public static void RecordLaunched(string jobDirectory, string externalId)
    {
        var temporary = Path.Combine(jobDirectory, Launched + ".tmp");
        File.WriteAllText(temporary, externalId);
        File.Move(temporary, Path.Combine(jobDirectory, Launched), overwrite: true);
    }

    /// <summary>The runner's id <see cref="RecordLaunched"/> kept, or null for a job never launched.</summary>
    public static string? TryReadLaunched(string jobDirectory)
    {
        var path = Path.Combine(jobDirectory, Launched);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public static bool TryReadExitCode(string jobDirectory, out int exitCode)
    {
        exitCode = -1;
        var path = Path.Combine(jobDirectory, ExitCode);
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out exitCode);
    }
}

/// <summary>
/// Runs job scripts as processes on this machine, each in its own session. A cancel sends SIGTERM to job.sh's process
/// group: job.sh then kills every process of the job (its sandbox and control groups) and records the cancel.
/// </summary>
public sealed partial class LocalRunner : IJobRunner
{
    public bool PlacesJobs => false;

    public string Launch(string jobDirectory, JobResources resources)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = jobDirectory };
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(Path.Combine(jobDirectory, JobScript.FileName));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the job process");
        // The start time tells this process from a later one that reuses its id; it survives exec, unlike the command line.
        string startTime = ReadStat(process.Id.ToString(CultureInfo.InvariantCulture)) is { } stat ? stat.StartTime : "gone";
        return $"{process.Id}@{startTime}";
    }

    public RunnerState Poll(string externalId, string jobDirectory, out int exitCode)
    {
        if (JobScript.TryReadExitCode(jobDirectory, out exitCode)) return RunnerState.Exited;
        if (IsOurProcess(externalId)) return RunnerState.Running;
        // The exit code may have landed between the two checks.
        return JobScript.TryReadExitCode(jobDirectory, out exitCode) ? RunnerState.Exited : RunnerState.Lost;
    }

    public void Kill(string externalId, string jobDirectory)
    {
        if (!IsOurProcess(externalId)) return;
        int pid = int.Parse(externalId.Split('@')[0], CultureInfo.InvariantCulture);
        foreach (int signal in new[] { 15, 9 })
        {
            // The whole process group (bash and the command it runs), or the process alone while setsid has not made the group yet.
            if (kill(-pid, signal) != 0) kill(pid, signal);
            for (int i = 0; i < 50 && IsOurProcess(externalId); i++) Thread.Sleep(100);
            if (!IsOurProcess(externalId)) return;
        }
    }

    /// <summary>
    /// True while the job's process (id and start time, as Launch recorded them) is alive and not a zombie.
    /// The command line cannot tell: it reads empty while the process is between setsid and bash's exec.
    /// </summary>
    private static bool IsOurProcess(string externalId)
    {
        var parts = externalId.Split('@');
        return parts.Length == 2 && ReadStat(parts[0]) is { } stat && !stat.Zombie && stat.StartTime == parts[1];
    }

    /// <summary>From /proc/PID/stat: whether the process is a zombie, and its start time (field 22, clock ticks since boot).</summary>
    private static (bool Zombie, string StartTime)? ReadStat(string pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 ? (fields[0] == "Z", fields[19]) : null;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
