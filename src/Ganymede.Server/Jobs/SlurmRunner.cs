using System.Diagnostics;
using System.Globalization;

namespace Ganymede.Server.Jobs;

/// <summary>
/// Runs job scripts on a Slurm cluster with sbatch. The nodes must see the data directory at the same path (a
/// shared filesystem, as Galaxy's cluster runners assume); job.sh writes its output and exit code there itself, so
/// Slurm is asked only whether a job is still queued or running (squeue), and to cancel it (scancel).
/// </summary>
public sealed class SlurmRunner(string? partition) : IJobRunner
{
    private static readonly string[] Alive = ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"];
    // squeue is a call to the controller: asked at most every two seconds per job; the exit code file is checked every time.
    private readonly Dictionary<string, long> _lastAsked = [];

    public bool PlacesJobs => true;

    public string Launch(string jobDirectory, JobResources resources)
    {
        var (code, output, error) = Run("sbatch", Arguments(jobDirectory, resources, partition));
        // sbatch refuses at once what no node of the partition could give (a GPU where there is none, more memory than
        // a node has): the job fails with that, instead of waiting in Slurm's queue for ever.
        if (code != 0) throw new InvalidOperationException($"the cluster refused the job's request ({resources}): {error.Trim()}");
        return output.Trim().Split(';')[0]; // "123" or "123;cluster"
    }

    /// <summary>sbatch's arguments for a job: its folder, and its resources as Slurm's requests.</summary>
    public static List<string> Arguments(string jobDirectory, JobResources resources, string? partition)
    {
        var inv = CultureInfo.InvariantCulture;
        var args = new List<string>
        {
            "--parsable", "--job-name", "ganymede-" + Path.GetFileName(jobDirectory), "--chdir", jobDirectory, "--output", Path.Combine(jobDirectory, "slurm.out"),
            "--cpus-per-task", resources.Cores.ToString(inv),
            "--mem", ((resources.MemoryBytes + (1 << 20) - 1) >> 20).ToString(inv) + "M",
            "--time", ((long)Math.Ceiling(resources.WallTime.TotalMinutes)).ToString(inv),
        };
        if (resources.Gpus > 0) args.Add("--gres=gpu:" + resources.Gpus.ToString(inv));
        if (!string.IsNullOrEmpty(partition)) args.AddRange(["--partition", partition]);
        args.Add(Path.Combine(jobDirectory, JobScript.FileName));
        return args;
    }

    public RunnerState Poll(string externalId, string jobDirectory, out int exitCode)
    {
        if (JobScript.TryReadExitCode(jobDirectory, out exitCode)) return RunnerState.Exited;
        lock (_lastAsked)
        {
            if (_lastAsked.TryGetValue(externalId, out var at) && Environment.TickCount64 - at < 2000) return RunnerState.Running;
            _lastAsked[externalId] = Environment.TickCount64;
        }
        var (code, output, _) = Run("squeue", ["-h", "-j", externalId, "-o", "%T"]);
        if (code == 0 && Alive.Contains(output.Trim())) return RunnerState.Running;
        lock (_lastAsked) _lastAsked.Remove(externalId);
        return JobScript.TryReadExitCode(jobDirectory, out exitCode) ? RunnerState.Exited : RunnerState.Lost;
    }

    public void Kill(string externalId, string jobDirectory) => Run("scancel", [externalId]);

    private static (int Code, string Output, string Error) Run(string program, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Result, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} was not found ({e.Message}): the Slurm runner needs Slurm's client commands (Debian package slurm-client)", e);
        }
    }
}
