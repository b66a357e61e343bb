using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>
/// A notebook session end to end with Debian's Jupyter Notebook: started as a tool, reached only by its owner through
/// the proxy, a Python cell run over the kernel's WebSocket as a remote front end runs it, and stopped with its
/// notebooks and outputs saved to the history.
/// </summary>
public sealed class NotebookSessionTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Client(string? key)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        if (key is not null) http.DefaultRequestHeaders.Add("x-api-key", key);
        return http;
    }

    [Fact]
    public async Task A_session_runs_cells_for_its_owner_only_and_saves_its_notebooks_when_stopped()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("session");
        var data = await alice.PasteAsync(history.Id, "slice,dice\n1,0.75\n", "scores.csv");
        await alice.WaitForDatasetAsync(data.Id, TimeSpan.FromMinutes(1));
        var run = await alice.RunToolAsync(history.Id, "interactive_tool_ganymede_notebook", new()
        {
            ["inputs"] = new JsonObject { ["values"] = new JsonArray(GanymedeClient.DatasetInput(data.Id)) },
        });
        var job = run.Jobs[0].Id;
        using var http = Client(server.AliceKey);

        // The entry point turns active once Jupyter listens.
        JsonNode? entry = null;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            entry = (await http.GetFromJsonAsync<JsonArray>("/api/entry_points?running=true"))!.FirstOrDefault(e => e!["job_id"]!.ToString() == job);
            if (entry?["active"]?.GetValue<bool>() == true) break;
            await Task.Delay(100);
        }
        var target = new Uri(entry!["target"]!.ToString());
        Assert.Equal($"/interactivetool/ep/{job}/", target.AbsolutePath);
        Assert.Equal(target.ToString(), (await http.GetFromJsonAsync<JsonObject>($"/api/entry_points/{job}/access"))!["target"]!.ToString());

        var specs = (await http.GetFromJsonAsync<JsonObject>(target + "api/kernelspecs"))!["kernelspecs"]!.AsObject();
        Assert.Equal(["ganymede", "python3"], specs.Select(s => s.Key).Order());
        using (var bob = Client(server.BobKey)) Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync(target + "api/kernelspecs")).StatusCode);
        using (var nobody = Client(null)) Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync(target + "api/kernelspecs")).StatusCode);

        // A remote front end: start a kernel, run a cell over its WebSocket, read the result.
        var kernel = (await (await http.PostAsJsonAsync(target + "api/kernels", new { name = "python3" })).Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();
        var channels = new UriBuilder(target + $"api/kernels/{kernel}/channels") { Scheme = "ws" }.Uri;
        using (var evil = new ClientWebSocket())
        {
            evil.Options.SetRequestHeader("x-api-key", server.AliceKey);
            evil.Options.SetRequestHeader("Origin", "http://elsewhere.example");
            await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(channels, CancellationToken.None));
        }
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("x-api-key", server.AliceKey);
        await socket.ConnectAsync(channels, CancellationToken.None);
        var result = await ExecuteAsync(socket, "open('outputs/result.txt', 'w').write('dice 0.75')\nopen('inputs/scores.csv').read()");
        Assert.Equal("'slice,dice\\n1,0.75\\n'", result);

        // A notebook saved in the session, then the session stopped: both it and the output file come back as datasets.
        var notebook = new JsonObject
        {
            ["type"] = "notebook", ["format"] = "json",
            ["content"] = new JsonObject { ["nbformat"] = 4, ["nbformat_minor"] = 5, ["metadata"] = new JsonObject(), ["cells"] = new JsonArray() },
        };
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsJsonAsync(target + "api/contents/analysis.ipynb", notebook)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/jobs/{job}")).StatusCode);
        Assert.Equal("ok", (await alice.WaitForJobAsync(job, TimeSpan.FromMinutes(2))).State);
        var contents = await alice.ListContentsAsync(history.Id);
        Assert.Equal(("ipynb", "ok"), contents.Single(d => d.Name == "analysis.ipynb") is var n ? (n.Type, n.State) : default);
        var saved = contents.Single(d => d.Name == "result.txt");
        var path = Path.Combine(server.DataDirectory, "result.txt");
        await alice.DownloadAsync(saved.Id, path);
        Assert.Equal("dice 0.75", await File.ReadAllTextAsync(path));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(target + "api/kernelspecs")).StatusCode);
    }

    /// <summary>Sends an execute_request on a kernel's channels (Jupyter's JSON WebSocket protocol) and returns its text/plain result.</summary>
    private static async Task<string> ExecuteAsync(ClientWebSocket socket, string code)
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
                case "error": throw new InvalidOperationException($"the cell failed: {reply["content"]!["evalue"]}");
            }
        }
    }
}
