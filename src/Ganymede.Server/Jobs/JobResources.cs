using System.Globalization;

namespace Ganymede.Server.Jobs;

/// <summary>
/// What a job asks for: cores, memory, wall-clock time and GPUs. A tool declares its defaults, a user may ask for more
/// within the administrator's maxima (<see cref="ResourceRequests"/>); the local runner starts a job when its cores and
/// GPUs are free and holds it to its memory and time (job.sh), and the Slurm runner passes the request to sbatch.
/// </summary>
public sealed record JobResources(int Cores, long MemoryBytes, TimeSpan WallTime, int Gpus)
{
    /// <summary>These resources with the settings in <paramref name="text"/> applied: "cores=8,memory=64GiB,time=7d,gpus=1".</summary>
    public JobResources With(string text)
    {
        var resources = this;
        foreach (var setting in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = setting.Split('=', 2) is [var n, var v] ? (n.Trim(), v.Trim()) : throw new ArgumentException($"'{setting}' is not NAME=VALUE (cores, memory, time or gpus)");
            resources = name switch
            {
                "cores" => resources with { Cores = Count(value, "cores", least: 1) },
                "memory" => resources with { MemoryBytes = JobLimits.ParseBytes(value) },
                "time" => resources with { WallTime = JobLimits.ParseDuration(value) },
                "gpus" => resources with { Gpus = Count(value, "gpus", least: 0) },
                _ => throw new ArgumentException($"unknown resource '{name}' (cores, memory, time or gpus)"),
            };
        }
        return resources;
    }

    /// <summary>Each resource the larger of the two (a tool's default above the administrator's maximum raises it for that tool).</summary>
    public JobResources AtLeast(JobResources other) => new(Math.Max(Cores, other.Cores), Math.Max(MemoryBytes, other.MemoryBytes),
        WallTime > other.WallTime ? WallTime : other.WallTime, Math.Max(Gpus, other.Gpus));

    /// <summary>"2 cores, 8 GiB, 72 h, 1 GPU", as people read it in errors and on pages.</summary>
    public override string ToString() =>
        $"{Cores} {(Cores == 1 ? "core" : "cores")}, {JobLimits.FormatBytes(MemoryBytes)}, {JobLimits.FormatDuration(WallTime)}"
        + (Gpus > 0 ? $", {Gpus} {(Gpus == 1 ? "GPU" : "GPUs")}" : "");

    private static int Count(string text, string name, int least) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= least ? n
            : throw new ArgumentException($"{name}={text}: expected a whole number of at least {least}");
}
