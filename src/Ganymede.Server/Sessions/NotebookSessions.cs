using System.Net.Sockets;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Sessions;

/// <summary>
/// Running notebook sessions: where a session's notebook server listens (a Unix socket in its work folder), its token,
/// the client that reaches it, and a clean stop (Jupyter's own shutdown, so the job ends "ok" and its notebooks are
/// collected). Sessions are jobs: the jobs table is their list, so a restarted server finds them again.
/// </summary>
public sealed class NotebookSessions(FileStore files, ToolBox tools)
{
    public static string EntryPath(string encodedJobId) => $"/interactivetool/ep/{encodedJobId}/";

    public bool IsSession(JobRecord job) => tools.Find(job.ToolId) is { Interactive: true };

    public string SocketPath(long jobId) => Path.Combine(files.JobDirectory(jobId), "work", NotebookTool.Socket);

    /// <summary>Whether the session's notebook server has started listening.</summary>
    public bool IsListening(JobRecord job) => job.State == JobStates.Running && File.Exists(SocketPath(job.Id));

    public string? Token(long jobId)
    {
        var path = Path.Combine(files.JobDirectory(jobId), NotebookTool.TokenFile);
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

    /// <summary>Asks the notebook server to shut down (kernels stopped, then it exits); false if it could not be reached.</summary>
    public async Task<bool> StopAsync(JobRecord job, string encodedId, CancellationToken cancel)
    {
        if (!IsListening(job) || Token(job.Id) is not { } token) return false;
        using var client = Client(job.Id);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://localhost{EntryPath(encodedId)}api/shutdown");
        request.Headers.Authorization = new("token", token);
        try
        {
            using var response = await client.SendAsync(request, cancel);
            return response.IsSuccessStatusCode;
        }
        // Notebook 6 stops its loop inside the request, so the answer never comes: the connection just ends.
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ResponseEnded) { return true; }
        catch (HttpRequestException) { return false; }
    }
}
