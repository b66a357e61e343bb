using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>
/// What the session tests do to a notebook session as a remote front end would: start one, wait for its entry point,
/// run cells on a kernel over the proxy's WebSocket; and what they look at from outside: the session's processes.
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
    public static async Task<(string Job, Uri Target)> StartAsync(GanymedeClient client, HttpClient http, string historyId, JsonObject? inputs = null)
    {
        var run = await client.RunToolAsync(historyId, Tool, inputs ?? []);
        var job = run.Jobs[0].Id;
        return (job, await WaitForEntryAsync(http, job));
    }

    public static async Task<Uri> WaitForEntryAsync(HttpClient http, string job)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var entry = (await http.GetFromJsonAsync<JsonArray>("/api/entry_points?running=true"))!.FirstOrDefault(e => e!["job_id"]!.ToString() == job);
            if (entry?["active"]?.GetValue<bool>() == true) return new Uri(entry["target"]!.ToString());
            await Task.Delay(100);
        }
        throw new TimeoutException($"session {job} did not start listening within 2 minutes");
    }

    /// <summary>Starts a kernel through the proxy and opens its channels with the owner's key.</summary>
    public static async Task<ClientWebSocket> KernelAsync(HttpClient http, Uri target, string key, string kernelName = "python3")
    {
        var kernel = (await (await http.PostAsJsonAsync(target + "api/kernels", new { name = kernelName })).Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("x-api-key", key);
        await socket.ConnectAsync(new UriBuilder(target + $"api/kernels/{kernel}/channels") { Scheme = "ws" }.Uri, CancellationToken.None);
        return socket;
    }

    /// <summary>Sends an execute_request on a kernel's channels (Jupyter's JSON WebSocket protocol) and returns its text/plain result.</summary>
    public static async Task<string> ExecuteAsync(ClientWebSocket socket, string code)
    {
        var id = Guid.NewGuid().ToString("N");
        var request = new JsonObject
        {
            ["header"] = new JsonObject { ["msg_id"] = id, ["msg_type"] = "execute_request", ["username"] = "test", ["session"] = Guid.NewGuid().ToString("N"), ["version"] = "5.3", ["date"] = DateTime.UtcNow.ToString("o") },
            ["parent_header"] = new JsonObject(), ["metadata"] = new JsonObject(), ["channel"] = "shell", ["buffers"] = new JsonArray(),
            ["content"] = new JsonObject { ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new JsonObject(), ["allow_stdin"] = false },
        };
        await socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var buffer = new byte[1 << 20];
        while (true)
        {
            var message = new StringBuilder();
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, timeout.Token);
                message.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
            }
            while (!received.EndOfMessage);
            var reply = JsonNode.Parse(message.ToString())!;
            if (reply["parent_header"]?["msg_id"]?.ToString() != id) continue;
            switch (reply["header"]!["msg_type"]!.ToString())
            {
                case "execute_result": return reply["content"]!["data"]!["text/plain"]!.ToString();
                case "error": throw new InvalidOperationException($"the cell failed: {reply["content"]!["ename"]}: {reply["content"]!["evalue"]}");
            }
        }
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
