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
    /// <summary>Starts the job's script and returns the handle to find it again (a process id, a Slurm job id).</summary>
    string Launch(string jobDirectory);

    RunnerState Poll(string externalId, string jobDirectory, out int exitCode);

    void Kill(string externalId, string jobDirectory);
}

/// <summary>The job script: each command quoted for bash, output into the job folder, the exit code written last (atomically).</summary>
public static class JobScript
{
    public const string FileName = "job.sh", Stdout = "stdout.txt", Stderr = "stderr.txt", ExitCode = "exit_code", Started = "started";

    public static string Write(string jobDirectory, IReadOnlyList<string[]> commands, IReadOnlyDictionary<string, string> environment)
    {
        var s = new StringBuilder("#!/bin/bash\n# Written by the Ganymede server; the runner executes it as it is.\n");
        foreach (var (name, value) in environment) s.Append("export ").Append(name).Append('=').Append(Quote(value)).Append('\n');
        s.Append("unset OPENBLAS_CORETYPE\n");
        s.Append("cd ").Append(Quote(Path.Combine(jobDirectory, "work"))).Append(" || exit 1\n");
        s.Append("date +%s.%N > ../").Append(Started).Append('\n'); // when the process really began (queue latency, metrics)
        s.Append("run() {\n");
        for (int i = 0; i < commands.Count; i++)
            s.Append("  ").AppendJoin(' ', commands[i].Select(Quote)).Append(i < commands.Count - 1 ? " || return $?\n" : "\n");
        s.Append("}\n");
        s.Append("run > ../").Append(Stdout).Append(" 2> ../").Append(Stderr).Append(" < /dev/null\n");
        s.Append("echo $? > ../").Append(ExitCode).Append(".tmp && mv ../").Append(ExitCode).Append(".tmp ../").Append(ExitCode).Append('\n');
        var path = Path.Combine(jobDirectory, FileName);
        File.WriteAllText(path, s.ToString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return string.Join("\n", commands.Select(c => string.Join(' ', c.Select(Quote))));
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public static bool TryReadExitCode(string jobDirectory, out int exitCode)
    {
        exitCode = -1;
        var path = Path.Combine(jobDirectory, ExitCode);
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out exitCode);
    }
}

/// <summary>Runs job scripts as processes on this machine, each in its own session (so a cancel stops its whole process group).</summary>
public sealed partial class LocalRunner : IJobRunner
{
    public string Launch(string jobDirectory)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = jobDirectory };
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(Path.Combine(jobDirectory, JobScript.FileName));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the job process");
        return process.Id.ToString(CultureInfo.InvariantCulture);
    }

    public RunnerState Poll(string externalId, string jobDirectory, out int exitCode)
    {
        if (JobScript.TryReadExitCode(jobDirectory, out exitCode)) return RunnerState.Exited;
        if (IsOurProcess(externalId, jobDirectory)) return RunnerState.Running;
        // The exit code may have landed between the two checks.
        return JobScript.TryReadExitCode(jobDirectory, out exitCode) ? RunnerState.Exited : RunnerState.Lost;
    }

    public void Kill(string externalId, string jobDirectory)
    {
        if (!IsOurProcess(externalId, jobDirectory)) return;
        int pid = int.Parse(externalId, CultureInfo.InvariantCulture);
        kill(-pid, 15); // the whole process group: bash and the command it runs
        for (int i = 0; i < 50 && IsOurProcess(externalId, jobDirectory); i++) Thread.Sleep(100);
        if (IsOurProcess(externalId, jobDirectory)) kill(-pid, 9);
    }

    /// <summary>True while the process id still belongs to this job's script (ids are reused after a process ends).</summary>
    private static bool IsOurProcess(string externalId, string jobDirectory)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{externalId}/cmdline");
            var stat = File.ReadAllText($"/proc/{externalId}/stat");
            bool zombie = stat.LastIndexOf(')') is int close and > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
            return !zombie && cmdline.Contains(Path.Combine(jobDirectory, JobScript.FileName), StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
