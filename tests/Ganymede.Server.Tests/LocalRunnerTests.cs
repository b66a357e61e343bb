using Ganymede.Server.Jobs;
using Xunit;

namespace Ganymede.Server.Tests;

public sealed class LocalRunnerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ganymede-runner-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string NewJob(string name, string command)
    {
        var dir = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.Combine(dir, "work"));
        JobScript.Write(dir, [["bash", "-c", command]], new Dictionary<string, string>());
        return dir;
    }

    [Fact]
    public void A_job_polled_from_its_first_moment_is_running_until_it_exits_with_its_code()
    {
        // The first polls land while the process is still between setsid and bash: it must never look lost.
        var runner = new LocalRunner();
        for (int i = 0; i < 20; i++)
        {
            var dir = NewJob($"job{i}", "sleep 0.05; exit 3");
            var id = runner.Launch(dir);
            RunnerState state;
            int code;
            // Polled as fast as it goes, to land in every early moment; a job that never ends fails the test instead of hanging it.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((state = runner.Poll(id, dir, out code)) == RunnerState.Running)
                Assert.True(DateTime.UtcNow < deadline, $"job {i} still running after 30 s");
            Assert.Equal(RunnerState.Exited, state);
            Assert.Equal(3, code);
        }
    }

    [Fact]
    public void A_killed_job_is_lost_and_its_id_does_not_match_a_later_process()
    {
        var runner = new LocalRunner();
        var dir = NewJob("killed", "sleep 60");
        var id = runner.Launch(dir);
        Assert.Equal(RunnerState.Running, runner.Poll(id, dir, out _));
        runner.Kill(id, dir);
        Assert.Equal(RunnerState.Lost, runner.Poll(id, dir, out _));
        // Same process id, another start time: someone else's process.
        var pid = id.Split('@')[0];
        Assert.Equal(RunnerState.Lost, runner.Poll($"{pid}@1", dir, out _));
    }
}
