using System.Text.Json.Nodes;
using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>
/// What the session tests do to a notebook session (start one, as a user would) and what they look at from outside:
/// the session's processes.
/// </summary>
public static class SessionDriver
{
    public const string Tool = "interactive_tool_ganymede_notebook";

    public static HttpClient Http(string url, string? key)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        if (key is not null) http.DefaultRequestHeaders.Add("x-api-key", key);
        return http;
    }

    /// <summary>Starts a session and returns its job id once its entry point is active, with the URL it gives.</summary>
    public static async Task<(string Job, Uri Target)> StartAsync(GanymedeClient client, string historyId, JsonObject? inputs = null)
    {
        var job = (await client.RunToolAsync(historyId, Tool, inputs ?? [])).Jobs[0].Id;
        return (job, await client.WaitForSessionAsync(job, TimeSpan.FromMinutes(2)));
    }

    /// <summary>
    /// The session's sandbox, told by its process namespace: the one its notebook server runs in (found by its base URL,
    /// which names the session). Every process of the session is in it.
    /// </summary>
    public static string Namespace(string job) =>
        PidNamespace(Pids().Single(pid => CommandLine(pid).Contains($"base_url=/interactivetool/ep/{job}/", StringComparison.Ordinal)))
        ?? throw new InvalidOperationException($"session {job}'s notebook server has ended");

    /// <summary>The processes of a sandbox (its process namespace).</summary>
    public static IReadOnlyList<int> Processes(string pidNamespace) => Pids().Where(pid => PidNamespace(pid) == pidNamespace).ToList();

    /// <summary>
    /// The sandbox's processes still there a few seconds after its job ended: none, unless one escaped. (Those killed
    /// at the end may take a moment to be reaped, so this polls.)
    /// </summary>
    public static async Task<IReadOnlyList<int>> ProcessesLeftAsync(string pidNamespace)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Processes(pidNamespace) is { Count: > 0 } left)
        {
            if (DateTime.UtcNow > deadline) return left;
            await Task.Delay(50);
        }
        return [];
    }

    public static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; } // it ended while being read
    }

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!));

    private static string? PidNamespace(int pid)
    {
        try { return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget; }
        catch (IOException) { return null; }
    }
}
