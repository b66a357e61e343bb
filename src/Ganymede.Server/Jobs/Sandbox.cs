using System.Globalization;

namespace Ganymede.Server.Jobs;

/// <summary>
/// How one job is confined: the bubblewrap command its code runs under, the unprivileged user it runs as, its limits
/// and cores. What the job can see is decided here, in one list: the operating system's /usr and the Ganymede program
/// read-only, its own work folder read-write at /job, its commands read-only at /ganymede/run.sh, and private /tmp,
/// /proc and /dev. Nothing else of the machine exists inside: no data directory, database, secret, other job or user.
/// It gets its own network namespace (only a loopback of its own), no capabilities, no new privileges, and an
/// environment that holds only what <see cref="Environment"/> lists. job.sh (<see cref="JobScript"/>) applies the
/// limits and ends every process of the job when it ends.
/// </summary>
/// <param name="Name">the job's control groups' name, unique on the machine (several servers may share it).</param>
/// <param name="Cores">the CPUs the job may use ("0,1"), or empty where the runner places the job (Slurm).</param>
/// <param name="ProgramDirectories">folders of the Ganymede program, bound read-only at their own paths so that the
/// job's command lines name them as the server does.</param>
/// <param name="ApiSocket">the server's socket, for a job that may call it (<see cref="ApiChannel"/>); null for none.</param>
/// <param name="Secrets">variables the job's commands export themselves (its API key): bubblewrap's command line,
/// where <see cref="Environment"/> goes, can be read by every process on the machine.</param>
/// <param name="Devices">device files the job may open beyond the private /dev's (its GPUs', <see cref="Gpus.DeviceFiles"/>).</param>
/// <param name="RunnerGpus">GPUs the runner gives the job where it places jobs itself (Slurm): job.sh passes the node's
/// GPU device files and the scheduler's CUDA_VISIBLE_DEVICES into the sandbox.</param>
public sealed record Sandbox(string Name, int Uid, JobLimits Limits, string Cores, IReadOnlyList<string> ProgramDirectories,
    IReadOnlyDictionary<string, string> Environment, string? ApiSocket = null, IReadOnlyDictionary<string, string>? Secrets = null,
    IReadOnlyList<string>? Devices = null, int RunnerGpus = 0)
{
    /// <summary>Jobs run as users from here up (uid = this + job id modulo a million), far above people's and containers' ranges.</summary>
    public const int FirstUid = 2_000_000;

    /// <summary>Where the job's work folder and its command script appear inside the sandbox.</summary>
    public const string WorkDirectory = "/job", Commands = "/ganymede/run.sh";

    public static int UidFor(long jobId) => FirstUid + (int)(jobId % 1_000_000);

    /// <summary>"ganymede-1a2b3c4d-job-42": the data directory's hash tells apart the jobs of servers sharing a machine.</summary>
    public static string NameFor(string dataDirectory, long jobId) => NameFor(dataDirectory, $"job-{jobId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>"ganymede-1a2b3c4d-WHAT", for a server's other control groups (its inspections).</summary>
    public static string NameFor(string dataDirectory, string what) =>
        $"ganymede-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dataDirectory)))[..8]}-{what}";

    /// <summary>
    /// The folders a command line's absolute paths live in, outside /usr (which every sandbox sees): for
    /// ["/usr/bin/dotnet", "/opt/ganymede/ganymede.dll"], ["/opt/ganymede"].
    /// </summary>
    public static IReadOnlyList<string> ProgramDirectoriesOf(IEnumerable<string> command) =>
        command.Where(Path.IsPathFullyQualified).Select(p => Path.GetDirectoryName(Path.GetFullPath(p))!)
            .Where(d => d != "/usr" && !d.StartsWith("/usr/", StringComparison.Ordinal)).Distinct().ToList();

    /// <summary>
    /// The command that starts <paramref name="workDirectory"/>'s job inside the sandbox, as root: bubblewrap sets up the
    /// namespaces and mounts, then setpriv becomes the job's user, dropping every capability for good.
    /// </summary>
    public IReadOnlyList<string> Command(string workDirectory, string commandsFile)
    {
        var args = SystemView(ProgramDirectories, Limits.MemoryBytes);
        args.AddRange(["--bind", workDirectory, WorkDirectory, "--perms", "0755", "--dir", Path.GetDirectoryName(Commands)!,
            "--ro-bind", commandsFile, Commands]);
        // "-try": on a cluster node other than the server's the socket is absent, and the job runs without the channel.
        if (ApiSocket is not null) args.AddRange(["--ro-bind-try", Path.GetDirectoryName(ApiSocket)!, ApiChannel.DirectoryInSandbox]);
        // "-try" too: a driver's shared device files differ between driver versions.
        foreach (var device in Devices ?? []) args.AddRange(["--dev-bind-try", device, device]);
        args.AddRange(["--chdir", WorkDirectory, "--clearenv"]);
        foreach (var (name, value) in Environment) args.AddRange(["--setenv", name, value]);
        args.AddRange(BecomeUser(Uid));
        args.AddRange(["/bin/bash", Commands]);
        return args;
    }

    /// <summary>
    /// bubblewrap's arguments for what every sandbox sees, before its own folders and command: fresh namespaces, the
    /// system and the program read-only, private /proc, /dev and a /tmp of <paramref name="tmpBytes"/>.
    /// </summary>
    public static List<string> SystemView(IReadOnlyList<string> programDirectories, long tmpBytes)
    {
        var args = new List<string>
        {
            "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup", "--hostname", "ganymede-job",
            // Kept only so setpriv can become the sandbox's user and empty the bounding set; that change drops them all.
            "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP",
            // A new session (no terminal to push input into); when its parent dies, the sandbox and all in it die with it.
            "--new-session", "--die-with-parent",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/sbin", "/sbin",
            // The dynamic loader's cache and Debian's alternatives (libblas.so.3 and friends are links through them).
            "--perms", "0755", "--dir", "/etc", "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache", "--ro-bind", "/etc/alternatives", "/etc/alternatives",
            "--proc", "/proc", "--dev", "/dev",
            "--size", tmpBytes.ToString(CultureInfo.InvariantCulture), "--perms", "1777", "--tmpfs", "/tmp",
        };
        // bubblewrap makes missing parent folders readable by root alone: made here, the sandbox's user can pass through them.
        foreach (var parent in programDirectories.SelectMany(Ancestors).Distinct().Order(StringComparer.Ordinal))
            args.AddRange(["--perms", "0755", "--dir", parent]);
        foreach (var directory in programDirectories) args.AddRange(["--ro-bind", directory, directory]);
        return args;
    }

    /// <summary>The command prefix that becomes <paramref name="uid"/> with no capabilities left, for good.</summary>
    public static string[] BecomeUser(int uid)
    {
        string id = uid.ToString(CultureInfo.InvariantCulture);
        return ["/usr/bin/setpriv", "--reuid", id, "--regid", id, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"];
    }

    /// <summary>"/a", "/a/b" for "/a/b/c".</summary>
    private static IEnumerable<string> Ancestors(string directory)
    {
        for (var parent = Path.GetDirectoryName(directory); parent is not null && parent != "/"; parent = Path.GetDirectoryName(parent))
            yield return parent;
    }

    /// <summary>The environment every job gets, before the tool's own variables: a path, a home in its folder, a UTF-8 locale.</summary>
    public static Dictionary<string, string> BaseEnvironment() => new()
    {
        ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["HOME"] = WorkDirectory, ["TMPDIR"] = "/tmp", ["LANG"] = "C.UTF-8",
        ["DOTNET_CLI_HOME"] = WorkDirectory, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1",
    };
}
