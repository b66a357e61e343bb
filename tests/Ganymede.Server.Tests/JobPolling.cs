using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>Waiting for a job to reach a state, polling with a deadline.</summary>
internal static class JobPolling
{
    public static Task<Job> WaitForStateAsync(GanymedeClient client, string job, string state) =>
        WaitAsync(client, job, j => j.State == state, $"not {state}");

    /// <summary>Until the job says why it waits (its info).</summary>
    public static Task<Job> WaitForInfoAsync(GanymedeClient client, string job) => WaitAsync(client, job, j => j.Info is not null, "without a reason");

    private static async Task<Job> WaitAsync(GanymedeClient client, string job, Func<Job, bool> done, string otherwise)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var current = await client.GetJobAsync(job);
            if (done(current)) return current;
            Assert.True(DateTime.UtcNow < deadline, $"job {job} is still {current.State}, {otherwise}");
            await Task.Delay(100);
        }
    }
}
