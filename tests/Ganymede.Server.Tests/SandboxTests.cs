using Ganymede.Server.Jobs;
using Xunit;

namespace Ganymede.Server.Tests;

/// <summary>
/// Real bubblewrap and control groups under the local runner: what a job can see, the limits that kill it with a
/// message naming them, and that nothing it started outlives it.
/// </summary>
public sealed class SandboxTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ganymede-sandbox-").FullName;
    private readonly LocalRunner _runner = new();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (int Code, string Stdout, string Stderr) Run(string command, JobLimits? limits = null, string cores = "")
    {
        var dir = TestJobs.Create(Path.Combine(_root, Guid.NewGuid().ToString("N")), command, limits, cores);
        var id = _runner.Launch(dir, TestJobs.Resources);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int code;
        while (_runner.Poll(id, dir, out code) == RunnerState.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the job `{command}` still runs after 60 s");
            Thread.Sleep(20);
        }
        return (code, File.ReadAllText(Path.Combine(dir, JobScript.Stdout)), File.ReadAllText(Path.Combine(dir, JobScript.Stderr)));
    }

    private static JobLimits Limits(string settings) => JobLimits.Default.With(settings);

    [Fact]
    public void A_job_sees_only_its_folder_the_system_and_a_private_loopback_as_an_unprivileged_user()
    {
        var (code, stdout, stderr) = Run("""
            id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status | tr -d '\t'
            echo net $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')
            echo root $(ls /); echo etc $(ls /etc); echo pwd $(pwd) home $HOME
            echo env $(env | cut -d= -f1 | grep -vxE 'PWD|OLDPWD|SHLVL|_' | sort | tr '\n' ' ')
            echo processes $(ls /proc | grep -c '^[0-9]') highest $(ls /proc | grep '^[0-9]' | sort -n | tail -1)
            touch /usr/x 2>/dev/null || echo usr read-only
            """);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(int.Parse(lines[0]), Sandbox.FirstUid, Sandbox.FirstUid + 999_999);
        Assert.Equal(["CapEff:0000000000000000", "CapBnd:0000000000000000", "NoNewPrivs:1"], lines[1..4]);
        Assert.Equal("net lo", lines[4]);
        Assert.Equal("root bin dev etc ganymede job lib lib64 proc sbin tmp usr", lines[5]);
        Assert.Equal("etc alternatives ld.so.cache", lines[6]);
        Assert.Equal("pwd /job home /job", lines[7]);
        Assert.Equal("env DOTNET_CLI_HOME DOTNET_CLI_TELEMETRY_OPTOUT DOTNET_NOLOGO HOME LANG PATH TMPDIR", lines[8]);
        // A pid namespace of its own: bubblewrap's init, the job's shells and the commands of this line, nothing of the host.
        var processes = lines[9].Split(' ');
        Assert.True(int.Parse(processes[1]) <= 8 && int.Parse(processes[3]) < 100, lines[9]);
        Assert.Equal("usr read-only", lines[10]);
    }

    [Fact]
    public void A_process_that_ignores_SIGTERM_ends_with_its_job()
    {
        var (code, _, stderr) = Run("(trap '' TERM HUP; exec sleep 1000.25) & disown; echo left it");
        Assert.True(code == 0, stderr);
        // job.sh writes the exit code only after every process of the job has ended.
        Assert.Empty(ProcessesRunning("sleep\01000.25"));
    }

    [Fact]
    public void A_cancelled_job_ends_with_every_process_it_started()
    {
        var dir = TestJobs.Create(Path.Combine(_root, "cancelled"), "(trap '' TERM HUP; exec sleep 1000.5) & sleep 1000.75");
        var id = _runner.Launch(dir, TestJobs.Resources);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ProcessesRunning("sleep\01000.75").Count == 0) Assert.True(DateTime.UtcNow < deadline, "the job did not start");
        _runner.Kill(id, dir);
        Assert.Equal(RunnerState.Exited, _runner.Poll(id, dir, out int code));
        Assert.Equal(143, code);
        Assert.Empty(ProcessesRunning("sleep\01000.5"));
        Assert.Empty(ProcessesRunning("sleep\01000.75"));
        Assert.Contains("killed: the job was cancelled", File.ReadAllText(Path.Combine(dir, JobScript.Stderr)));
    }

    [Fact]
    public void Memory_over_the_limit_kills_the_job_and_says_so()
    {
        var (code, stdout, stderr) = Run("x=$(head -c 400M /dev/zero | tr '\\0' a); echo survived ${#x}", Limits("memory=64MiB"));
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("survived", stdout);
        Assert.EndsWith("killed: memory limit 64 MiB exceeded\n", stderr);
    }

    [Fact]
    public void Forking_past_the_process_limit_kills_the_job_and_says_so()
    {
        var (code, _, stderr) = Run("for i in $(seq 60); do sleep 30 & done; wait", Limits("processes=16"));
        Assert.NotEqual(0, code);
        Assert.EndsWith("killed: process limit 16 reached\n", stderr);
    }

    [Fact]
    public void A_job_past_its_time_is_killed_and_says_so()
    {
        var (code, _, stderr) = Run("sleep 100", Limits("time=2s"));
        Assert.NotEqual(0, code);
        Assert.EndsWith("killed: time limit 2 s exceeded\n", stderr);
    }

    [Theory]
    [InlineData("head -c 64M /dev/zero > big; echo wrote")] // one file past the limit: stopped as it grows
    [InlineData("for i in 1 2 3 4 5 6 7 8; do head -c 8M /dev/zero > part$i; done; echo wrote")] // the folder past it
    public void Writing_past_the_disk_limit_fails_the_job_and_says_so(string command)
    {
        var (code, _, stderr) = Run(command, Limits("disk=32MiB"));
        Assert.NotEqual(0, code);
        Assert.EndsWith("killed: disk limit 32 MiB exceeded\n", stderr);
    }

    [Fact]
    public void A_job_runs_on_the_cores_it_was_given()
    {
        var (code, stdout, stderr) = Run("grep Cpus_allowed_list /proc/self/status | cut -f2", cores: "0");
        Assert.True(code == 0, stderr);
        Assert.Equal("0\n", stdout);
    }

    [Fact]
    public void Limits_read_as_people_write_them()
    {
        var limits = JobLimits.Default.With("memory=1.5GiB, processes=64,time=90m,disk=512MiB");
        Assert.Equal(new JobLimits(3L << 29, 64, TimeSpan.FromMinutes(90), 512L << 20), limits);
        Assert.Equal("1.5 GiB", JobLimits.FormatBytes(limits.MemoryBytes));
        Assert.Equal("90 min", JobLimits.FormatDuration(limits.WallTime));
        Assert.Contains("not a size", Assert.Throws<ArgumentException>(() => JobLimits.Default.With("memory=lots")).Message);
        Assert.Contains("unknown limit 'gpus'", Assert.Throws<ArgumentException>(() => JobLimits.Default.With("gpus=1")).Message);
    }

    [Fact]
    public void Cores_go_to_the_least_held_first()
    {
        Assert.Equal([2, 3], Cores.Choose([0, 1, 2, 3], [[0, 1]], 2));
        Assert.Equal([0, 3], Cores.Choose([0, 1, 2, 3], [[0, 1], [1, 2]], 2));
        // Servers sharing a machine start from different CPUs: the third allowed one on, wrapping round.
        Assert.Equal([5], Cores.Choose([1, 3, 5, 7], [], 1, start: 2));
        Assert.Equal([1, 5, 7], Cores.Choose([1, 3, 5, 7], [], 3, start: 6));
        Assert.Equal([3, 7], Cores.Choose([1, 3, 5, 7], [[1], [5]], 2, start: 1));
        Assert.Equal([0, 1, 2, 3, 8], Cores.Parse("0-3,8"));
    }

    /// <summary>Host processes whose command line (arguments NUL-separated) is <paramref name="commandLine"/>.</summary>
    private static List<string> ProcessesRunning(string commandLine) =>
        Directory.EnumerateDirectories("/proc").Where(d => char.IsAsciiDigit(Path.GetFileName(d)[0])).Where(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")).TrimEnd('\0') == commandLine; }
            catch (IOException) { return false; }
        }).ToList();
}
