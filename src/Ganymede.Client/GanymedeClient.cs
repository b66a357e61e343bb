using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ganymede.Client;

/// <summary>
/// A .NET client for a Ganymede server (or any Galaxy server): histories, datasets (upload with progress over
/// tus, download), tools and jobs. Like BioBlend, it sends the API key in x-api-key.
/// </summary>
public sealed partial class GanymedeClient : IDisposable
{
    private const int ChunkSize = 10_000_000;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, PropertyNameCaseInsensitive = true };
    private readonly HttpClient _http;

    /// <param name="url">the server's address, e.g. http://127.0.0.1:8080 (a path prefix is kept).</param>
    public GanymedeClient(string url, string apiKey, HttpMessageHandler? handler = null)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
            throw new ArgumentException($"'{url}' is not an http(s) address");
        // Large listings (a history's contents) come compressed when the client says it accepts gzip.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.GZip });
        _http.BaseAddress = root;
        _http.Timeout = Timeout.InfiniteTimeSpan; // uploads and downloads of large files take as long as they take
        _http.DefaultRequestHeaders.Add("x-api-key", apiKey);
    }

    /// <summary>
    /// The client for the server named in the environment: inside a job that may call the server, its socket and key
    /// (GANYMEDE_API_SOCKET and GANYMEDE_API_KEY, set by the server); elsewhere GANYMEDE_URL and GANYMEDE_API_KEY, or
    /// the original system's GALAXY_URL and API_KEY.
    /// </summary>
    public static GanymedeClient FromEnvironment()
    {
        var socket = Environment.GetEnvironmentVariable("GANYMEDE_API_SOCKET");
        var url = Environment.GetEnvironmentVariable("GANYMEDE_URL") ?? Environment.GetEnvironmentVariable("GALAXY_URL");
        var key = Environment.GetEnvironmentVariable("GANYMEDE_API_KEY") ?? Environment.GetEnvironmentVariable("API_KEY");
        if (!string.IsNullOrEmpty(socket) && !string.IsNullOrEmpty(key)) return new GanymedeClient("http://localhost/", key, OverUnixSocket(socket));
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(key))
            throw new InvalidOperationException("set GANYMEDE_URL and GANYMEDE_API_KEY (or GALAXY_URL and API_KEY) to the server's address and your API key");
        return new GanymedeClient(url, key);
    }

    /// <summary>HTTP to a server listening on a Unix socket (a job's channel to its server: jobs have no network).</summary>
    private static SocketsHttpHandler OverUnixSocket(string path) => new()
    {
        ConnectCallback = async (_, cancel) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancel);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public void Dispose() => _http.Dispose();

    public async Task<string> VersionAsync(CancellationToken cancel = default) =>
        (await GetAsync<JsonObject>("api/version", cancel))["version_major"]!.ToString();

    // Histories

    public Task<History> CreateHistoryAsync(string name, CancellationToken cancel = default) => SendAsync<History>(HttpMethod.Post, "api/histories", new { name }, cancel);

    public Task<List<History>> ListHistoriesAsync(CancellationToken cancel = default) => GetAsync<List<History>>("api/histories", cancel);

    public Task<History> GetHistoryAsync(string id, CancellationToken cancel = default) => GetAsync<History>($"api/histories/{id}", cancel);

    public Task<History> DeleteHistoryAsync(string id, bool purge = false, CancellationToken cancel = default) =>
        SendAsync<History>(HttpMethod.Delete, $"api/histories/{id}", new { purge }, cancel);

    /// <summary>The history's datasets, in order, with every detail.</summary>
    public Task<List<Dataset>> ListContentsAsync(string historyId, CancellationToken cancel = default) =>
        GetAsync<List<Dataset>>($"api/histories/{historyId}/contents?details=all", cancel);

    // Datasets

    public Task<Dataset> GetDatasetAsync(string id, CancellationToken cancel = default) => GetAsync<Dataset>($"api/datasets/{id}", cancel);

    /// <summary>Polls a dataset until it is ok, empty, error or discarded.</summary>
    public async Task<Dataset> WaitForDatasetAsync(string id, TimeSpan timeout, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var interval = TimeSpan.FromMilliseconds(200); ; interval = Min(interval * 1.5, TimeSpan.FromSeconds(3)))
        {
            var dataset = await GetDatasetAsync(id, cancel);
            if (dataset.IsTerminal) return dataset;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"dataset {id} is still {dataset.State} after {timeout}");
            await Task.Delay(interval, cancel);
        }
    }

    /// <summary>
    /// Uploads a file into a history with tus (resumable, in 10 MB chunks, <paramref name="progress"/> told the bytes sent),
    /// then turns it into a dataset. The type is detected by the server unless <paramref name="fileType"/> names one.
    /// </summary>
    public async Task<Dataset> UploadAsync(string historyId, string path, string? name = null, string fileType = "auto", IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"{path}: no such file", path);
        using var create = new HttpRequestMessage(HttpMethod.Post, "api/upload/resumable_upload");
        create.Headers.Add("Tus-Resumable", "1.0.0");
        create.Headers.Add("Upload-Length", file.Length.ToString(CultureInfo.InvariantCulture));
        using var created = await _http.SendAsync(create, cancel);
        await ThrowIfError(created, cancel);
        var location = created.Headers.Location ?? throw new GanymedeApiException((int)created.StatusCode, 0, "the server did not answer with an upload location");
        var session = location.OriginalString.TrimEnd('/').Split('/')[^1];

        await using (var stream = file.OpenRead())
        {
            var buffer = new byte[ChunkSize];
            long offset = 0;
            do
            {
                int n = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancel);
                using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(buffer, 0, n) };
                patch.Headers.Add("Tus-Resumable", "1.0.0");
                patch.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
                patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
                using var patched = await _http.SendAsync(patch, cancel);
                await ThrowIfError(patched, cancel);
                offset += n;
                progress?.Report(offset);
            }
            while (offset < file.Length);
        }

        var fetch = new JsonObject
        {
            ["history_id"] = historyId,
            ["targets"] = new JsonArray(new JsonObject
            {
                ["destination"] = new JsonObject { ["type"] = "hdas" },
                ["elements"] = new JsonArray(new JsonObject { ["src"] = "files", ["ext"] = fileType, ["name"] = name ?? file.Name, ["to_posix_lines"] = false }),
            }),
            ["files_0|file_data"] = new JsonObject { ["session_id"] = session, ["name"] = name ?? file.Name },
        };
        return (await SendAsync<ToolRun>(HttpMethod.Post, "api/tools/fetch", fetch, cancel)).Outputs[0];
    }

    /// <summary>Text straight into a history (Galaxy's paste upload).</summary>
    public async Task<Dataset> PasteAsync(string historyId, string content, string name, string fileType = "auto", CancellationToken cancel = default)
    {
        var body = new JsonObject
        {
            ["history_id"] = historyId, ["tool_id"] = "upload1",
            ["inputs"] = new JsonObject { ["file_type"] = fileType, ["files_0|NAME"] = name, ["files_0|type"] = "upload_dataset" },
            ["files_0|url_paste"] = content,
        };
        return (await SendAsync<ToolRun>(HttpMethod.Post, "api/tools", body, cancel)).Outputs[0];
    }

    /// <summary>Downloads a dataset's bytes to <paramref name="path"/> (written under a temporary name, renamed when complete).</summary>
    public async Task DownloadAsync(string datasetId, string path, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        var dataset = await GetDatasetAsync(datasetId, cancel);
        using var response = await _http.GetAsync($"api/datasets/{datasetId}/display?to_ext={dataset.Type}", HttpCompletionOption.ResponseHeadersRead, cancel);
        await ThrowIfError(response, cancel);
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            await using (var source = await response.Content.ReadAsStreamAsync(cancel))
            await using (var target = File.Create(temporary))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int n;
                while ((n = await source.ReadAsync(buffer, cancel)) > 0)
                {
                    await target.WriteAsync(buffer.AsMemory(0, n), cancel);
                    progress?.Report(total += n);
                }
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
