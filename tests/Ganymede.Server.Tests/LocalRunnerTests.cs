using Ganymede.Server.Jobs;
using Xunit;

namespace Ganymede.Server.Tests;

public sealed class LocalRunnerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ganymede-runner-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string NewJob(string name, string command) => TestJobs.Create(Path.Combine(_root, name), command);

    [Fact]
    public void A_job_polled_from_its_first_moment_is_running_until_it_exits_with_its_code()
    {
        // The first polls land while the process is still between setsid and bash: it must never look lost.
        var runner = new LocalRunner();
        for (int i = 0; i < 20; i++)
        {
            var dir = NewJob($"job{i}", "sleep 0.05; exit 3");
            var id = runner.Launch(dir, TestJobs.Resources);
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
    public void A_killed_job_ends_as_cancelled_and_its_id_does_not_match_a_later_process()
    {
        var runner = new LocalRunner();
        var dir = NewJob("killed", "sleep 60");
        var id = runner.Launch(dir, TestJobs.Resources);
        Assert.Equal(RunnerState.Running, runner.Poll(id, dir, out _));
        // Cancelled once job.sh has begun (a process killed sooner is lost: it had no time to write an exit code).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(Path.Combine(dir, JobScript.Started))) Assert.True(DateTime.UtcNow < deadline, "job.sh did not begin");
        runner.Kill(id, dir);
        Assert.Equal(RunnerState.Exited, runner.Poll(id, dir, out int code));
        Assert.Equal(143, code);
        // Same process id, another start time, no exit code: someone else's process, and this job is lost.
        var pid = id.Split('@')[0];
        Assert.Equal(RunnerState.Lost, runner.Poll($"{pid}@1", NewJob("never-started", "true"), out _));
    }
}
