using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>A server where each user may run one job at once, of three in all.</summary>
public sealed class FairShareServer : ServerFixture
{
    protected override (int? PerUser, int Total) RunningJobs => (1, 3);
}

/// <summary>
/// Fair share: a user at the running-jobs limit waits in the queue with the reason in the job's info, while another
/// user's later job passes; when the first user's job ends, the waiting one starts.
/// </summary>
public sealed class FairShareTests(FairShareServer server) : IClassFixture<FairShareServer>
{
    private const string Slow = "System.Threading.Thread.Sleep(120_000);";

    [Fact]
    public async Task A_user_over_the_running_limit_waits_with_the_reason_while_another_users_job_passes()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var bob = new GanymedeClient(server.Url, server.BobKey);
        var history = await alice.CreateHistoryAsync("fair share");
        var slow = await alice.PasteAsync(history.Id, Slow, "slow.csx");
        async Task<string> RunSlowAsync() =>
            (await alice.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(slow.Id) })).Jobs[0].Id;
        var first = await RunSlowAsync();
        await JobPolling.WaitForStateAsync(alice, first, "running");
        var second = await RunSlowAsync();

        // Bob's job, submitted after Alice's second, runs and ends while hers waits.
        var bobHistory = await bob.CreateHistoryAsync("bob's");
        var lines = await bob.PasteAsync(bobHistory.Id, "a\nb\n", "lines.txt");
        var cat = await bob.RunToolAsync(bobHistory.Id, "cat1", new() { ["input1"] = GanymedeClient.DatasetInput(lines.Id) });
        Assert.Equal("ok", (await bob.WaitForJobAsync(cat.Jobs[0].Id, TimeSpan.FromMinutes(1))).State);
        var waiting = await alice.GetJobAsync(second);
        Assert.Equal(("queued", "waiting: 1 of your jobs are running, the most one user may run at once; it starts when one of them ends"), (waiting.State, waiting.Info));

        // Her first ends: the second starts, its reason gone.
        Assert.True(await alice.CancelJobAsync(first));
        var started = await JobPolling.WaitForStateAsync(alice, second, "running");
        Assert.Null(started.Info);
        Assert.True(await alice.CancelJobAsync(second));
    }
}
