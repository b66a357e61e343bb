using System.Reflection;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;

namespace Ganymede.Server;

/// <summary>How a Ganymede server runs (ganymede serve's options).</summary>
public sealed record ServerOptions
{
    public string Urls { get; init; } = "http://127.0.0.1:8080";
    public string DataDirectory { get; init; } = "ganymede-data";
    /// <summary>The database (postgresql://USER:PASSWORD@HOST:PORT/DB), or null for the SQLite file in the data directory.</summary>
    public string? Database { get; init; }
    /// <summary>
    /// This server's name among the job handlers sharing its database (<see cref="Jobs.JobHandler"/>): each server of a
    /// database needs its own, and a server restarted under the same name goes on with the jobs it had started.
    /// </summary>
    public string HandlerName { get; init; } = Jobs.JobHandler.DefaultName();
    /// <summary>How long a handler may be silent before the others take it for dead and adopt its jobs.</summary>
    public TimeSpan HandlerTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Jobs that may run at once; each training uses every core it gets, so one is the default on a small machine.</summary>
    public int MaxConcurrentJobs { get; init; } = 1;
    /// <summary>
    /// Jobs one user may have running at once on all servers together (fair share), or null for no limit: the others
    /// wait in the queue, saying why, and let other users' jobs pass.
    /// </summary>
    public int? MaxRunningPerUser { get; init; }
    /// <summary>Cores a job may use (GANYMEDE_SLOTS in its environment, as Galaxy's GALAXY_SLOTS).</summary>
    public int SlotsPerJob { get; init; } = Environment.ProcessorCount;
    /// <summary>
    /// The Galaxy version reported at /api/version. BioBlend picks its upload path from it: 22.01 and later upload
    /// with tus and /api/tools/fetch, earlier versions with one multipart request. Both work here.
    /// </summary>
    public string VersionMajor { get; init; } = "23.1";
    public long MaxUploadBytes { get; init; } = 64L << 30;
    /// <summary>JSON request bodies larger than this are refused (413) before they are parsed.</summary>
    public int MaxJsonBytes { get; init; } = 16 << 20;
    /// <summary>Where jobs run: "local" (processes on this machine) or "slurm" (sbatch to a cluster sharing the data directory).</summary>
    public string Runner { get; init; } = "local";
    /// <summary>The Slurm partition jobs go to (the cluster's default when empty).</summary>
    public string? SlurmPartition { get; init; }
    /// <summary>What each job may use, unless <see cref="ToolLimits"/> says otherwise for its tool.</summary>
    public JobLimits JobLimits { get; init; } = JobLimits.Default;
    /// <summary>Limits for the jobs of one tool (its id), in place of <see cref="JobLimits"/>.</summary>
    public IReadOnlyDictionary<string, JobLimits> ToolLimits { get; init; } = new Dictionary<string, JobLimits>();
    /// <summary>
    /// GPUs the local runner hands out to jobs that ask for them (their CUDA_VISIBLE_DEVICES and device files): by
    /// default those the NVIDIA driver shows as /dev/nvidiaN.
    /// </summary>
    public IReadOnlyList<string> Gpus { get; init; } = Jobs.Gpus.Present();
    /// <summary>The most a job may ask for (<see cref="Jobs.ResourceRequests"/>); null: users may not ask, every job gets its tool's defaults.</summary>
    public Jobs.JobResources? MaxResources { get; init; }

    /// <summary>What each user may store and run at once, unless an administrator set their own (`ganymede users quota`).</summary>
    public UserQuota Quota { get; init; } = UserQuota.Unlimited;

    /// <summary>Whether anyone may create an account on the sign-in page (off: administrators create them).</summary>
    public bool AllowRegistration { get; init; }

    /// <summary>The shortest password accounts made or changed through the server may have (Galaxy's scripts may assume 6).</summary>
    public int MinPasswordLength { get; init; } = Services.Passwords.DefaultMinimum;

    /// <summary>
    /// A folder on the server whose files administrators may add to data libraries by their path (Galaxy's path
    /// paste, linked in place or copied), or null for none.
    /// </summary>
    public string? PathPasteDirectory { get; init; }

    public JobLimits LimitsFor(string toolId) => ToolLimits.GetValueOrDefault(toolId, JobLimits);

    /// <summary>How jobs start the ganymede program: by default the program this server runs in.</summary>
    public string[] GanymedeCommand { get; init; } = DefaultGanymedeCommand();

    private static string[] DefaultGanymedeCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var entry = Assembly.GetEntryAssembly()?.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && entry is { Length: > 0 } ? [process, entry] : [process];
    }
}
