using Ganymede.Server.Jobs;

namespace Ganymede.Server.Tests;

/// <summary>Job folders for the runner and sandbox tests: one bash command, run as the server would run a tool's.</summary>
internal static class TestJobs
{
    private static int _next;

    /// <summary>What a test's job asks for (the local runner starts it whatever it asks; the server's scheduling is tested through the server).</summary>
    public static JobResources Resources { get; } = new(1, JobLimits.Default.MemoryBytes, JobLimits.Default.WallTime, 0);

    /// <summary>A job folder whose job.sh runs <paramref name="command"/> in a sandbox with these limits and cores.</summary>
    public static string Create(string directory, string command, JobLimits? limits = null, string cores = "")
    {
        Directory.CreateDirectory(Path.Combine(directory, "work"));
        int id = Interlocked.Increment(ref _next);
        var sandbox = new Sandbox(Sandbox.NameFor(directory, id), Sandbox.UidFor(900_000 + id), limits ?? JobLimits.Default, cores, [], Sandbox.BaseEnvironment());
        JobScript.Write(directory, [["bash", "-c", command]], sandbox);
        return directory;
    }
}
