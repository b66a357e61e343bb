using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Ganymede.Client;

/// <summary>
/// A kernel of a notebook session, driven as a remote front end drives one: started through the session's Jupyter
/// REST API, cells sent over its WebSocket in Jupyter's JSON message format. Through the server's proxy it
/// authenticates with the owner's API key; pass <c>authorization</c> ("token T") and an invoker to talk to a Jupyter
/// server some other way.
/// </summary>
public sealed class NotebookKernel : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly string _session = Guid.NewGuid().ToString("N");

    private NotebookKernel(ClientWebSocket socket, string id) => (_socket, Id) = (socket, id);

    public string Id { get; }

    /// <param name="session">the session's URL (its entry point's target, ending in "/").</param>
    /// <param name="invoker">how to reach it (a Unix socket's handler, say); by default, the network.</param>
    public static async Task<NotebookKernel> StartAsync(Uri session, string? apiKey, string kernelName = "python3", string? authorization = null,
        HttpMessageInvoker? invoker = null, CancellationToken cancel = default)
    {
        using var start = new HttpRequestMessage(HttpMethod.Post, new Uri(session, "api/kernels")) { Content = JsonContent.Create(new { name = kernelName }) };
        Authorise(start.Headers, apiKey, authorization);
        using var http = invoker is null ? new HttpClient() : null;
        using var response = await (invoker ?? http!).SendAsync(start, cancel);
        if (!response.IsSuccessStatusCode) throw new GanymedeApiException((int)response.StatusCode, 0, $"the session did not start a {kernelName} kernel: {(int)response.StatusCode}");
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>(cancel))!["id"]!.ToString();
        var socket = new ClientWebSocket();
        if (apiKey is not null) socket.Options.SetRequestHeader("x-api-key", apiKey);
        if (authorization is not null) socket.Options.SetRequestHeader("Authorization", authorization);
        var channels = new UriBuilder(new Uri(session, $"api/kernels/{id}/channels")) { Scheme = session.Scheme == "https" ? "wss" : "ws" }.Uri;
        try { await socket.ConnectAsync(channels, invoker, cancel); }
        catch { socket.Dispose(); throw; }
        return new NotebookKernel(socket, id);
    }

    /// <summary>Runs <paramref name="code"/> and returns the text/plain of its result ("" when it has none); a failing cell throws with its error.</summary>
    public async Task<string> ExecuteAsync(string code, CancellationToken cancel = default)
    {
        var id = Guid.NewGuid().ToString("N");
        var request = new JsonObject
        {
            ["header"] = new JsonObject { ["msg_id"] = id, ["msg_type"] = "execute_request", ["username"] = "ganymede", ["session"] = _session, ["version"] = "5.3", ["date"] = DateTime.UtcNow.ToString("o") },
            ["parent_header"] = new JsonObject(), ["metadata"] = new JsonObject(), ["channel"] = "shell", ["buffers"] = new JsonArray(),
            ["content"] = new JsonObject { ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new JsonObject(), ["allow_stdin"] = false },
        };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, cancel);
        string result = "";
        var buffer = new byte[1 << 16];
        while (true)
        {
            var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, cancel);
                if (received.MessageType == WebSocketMessageType.Close) throw new WebSocketException("the kernel's channels closed");
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);
            var reply = JsonNode.Parse(message.ToArray())!;
            if (reply["parent_header"]?["msg_id"]?.ToString() != id) continue;
            switch (reply["header"]!["msg_type"]!.ToString())
            {
                case "execute_result": result = reply["content"]!["data"]!["text/plain"]!.ToString(); break;
                case "error": throw new InvalidOperationException($"the cell failed: {reply["content"]!["ename"]}: {reply["content"]!["evalue"]}");
                // The kernel is idle again: the cell and all its output are done.
                case "status" when reply["content"]!["execution_state"]!.ToString() == "idle": return result;
            }
        }
    }

    private static void Authorise(System.Net.Http.Headers.HttpRequestHeaders headers, string? apiKey, string? authorization)
    {
        if (apiKey is not null) headers.Add("x-api-key", apiKey);
        if (authorization is not null) headers.TryAddWithoutValidation("Authorization", authorization);
    }

    public void Dispose() => _socket.Dispose();
}
