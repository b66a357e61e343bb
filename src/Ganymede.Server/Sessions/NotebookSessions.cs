using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Sessions;

/// <summary>
/// Running notebook sessions: where a session's notebook server listens (a Unix socket in its work folder), its token,
/// the client that reaches it, and a clean stop (Jupyter's own shutdown, so the job ends "ok" and its notebooks are
/// collected). Sessions are jobs: the jobs table is their list, so a restarted server finds them again.
/// </summary>
public sealed class NotebookSessions(FileStore files, ToolBox tools, IdCodec ids)
{
    public static string EntryPath(string encodedJobId) => $"/interactivetool/ep/{encodedJobId}/";

    public bool IsSession(JobRecord job) => tools.Find(job.ToolId) is { Interactive: true };

    public string SocketPath(long jobId) => Path.Combine(files.JobDirectory(jobId), "work", NotebookTool.Socket);

    /// <summary>Whether the session's notebook server has started listening.</summary>
    public bool IsListening(JobRecord job) => job.State == JobStates.Running && File.Exists(SocketPath(job.Id));

    /// <summary>Jupyter's own token, which only the server sends.</summary>
    public string? Token(long jobId) => ReadToken(jobId, NotebookTool.TokenFile);

    /// <summary>The token that opens this session alone, for a remote front end (VS Code, a local JupyterLab); shown to its owner.</summary>
    public string? AccessToken(long jobId) => ReadToken(jobId, NotebookTool.AccessTokenFile);

    public bool HasAccessToken(long jobId, string token) => AccessToken(jobId) is { } expected &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(token));

    private string? ReadToken(long jobId, string file)
    {
        var path = Path.Combine(files.JobDirectory(jobId), file);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>A client whose every connection goes to the session's socket (the URL's host is ignored).</summary>
    public HttpMessageInvoker Client(long jobId)
    {
        var socket = SocketPath(jobId);
        return new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false, AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = async (_, cancel) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancel);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        });
    }

    /// <summary>
    /// How long the session has been idle by Jupyter's account: zero while a kernel is busy or connected to (an open
    /// notebook page), else the time since its last request or kernel message; null when it could not be asked.
    /// </summary>
    public async Task<TimeSpan?> IdleForAsync(JobRecord job, CancellationToken cancel)
    {
        if (Token(job.Id) is not { } token) return null;
        using var client = Client(job.Id);
        var status = await GetAsync(client, token, ApiUrl(job, "api/status"), cancel);
        if (status?["connections"]?.GetValue<int>() > 0) return TimeSpan.Zero;
        // Asking for the kernels is itself activity unless it says not to count.
        var kernels = await GetAsync(client, token, ApiUrl(job, "api/kernels?no_track_activity=1"), cancel);
        if (kernels is JsonArray list && list.Any(k => k?["execution_state"]?.ToString() == "busy")) return TimeSpan.Zero;
        return status?["last_activity"] is { } last && DateTimeOffset.TryParse(last.ToString(), CultureInfo.InvariantCulture, out var when)
            ? DateTimeOffset.UtcNow - when : null;
    }

    /// <summary>A URL of the session's Jupyter API, as its socket takes it (the host is not looked at; the path is under its base_url).</summary>
    private string ApiUrl(JobRecord job, string path) => $"http://localhost{EntryPath(ids.Encode(job.Id))}{path}";

    private static async Task<JsonNode?> GetAsync(HttpMessageInvoker client, string token, string url, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new("token", token);
        using var response = await client.SendAsync(request, cancel);
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync(cancel)) : null;
    }

    /// <summary>Asks the notebook server to shut down (kernels stopped, then it exits); false if it could not be reached.</summary>
    public async Task<bool> StopAsync(JobRecord job, CancellationToken cancel)
    {
        if (!IsListening(job) || Token(job.Id) is not { } token) return false;
        using var client = Client(job.Id);
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiUrl(job, "api/shutdown"));
        request.Headers.Authorization = new("token", token);
        try
        {
            // Kernels are shut down one by one first: Notebook 6, left to stop them itself after its loop has ended, can
            // fail on the way out ("Event loop stopped before Future completed") and exit with an error, which would end
            // the session's job in error without its notebooks collected.
            if (await GetAsync(client, token, ApiUrl(job, "api/kernels?no_track_activity=1"), cancel) is JsonArray kernels)
                foreach (var id in kernels.Select(k => k?["id"]?.ToString()).OfType<string>())
                {
                    using var delete = new HttpRequestMessage(HttpMethod.Delete, ApiUrl(job, $"api/kernels/{Uri.EscapeDataString(id)}"));
                    delete.Headers.Authorization = new("token", token);
                    using var deleted = await client.SendAsync(delete, cancel);
                }
            using var response = await client.SendAsync(request, cancel);
            return response.IsSuccessStatusCode;
        }
        // Notebook 6 stops its loop inside the request, so the answer never comes: the connection just ends.
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ResponseEnded) { return true; }
        catch (HttpRequestException) { return false; }
    }
}
