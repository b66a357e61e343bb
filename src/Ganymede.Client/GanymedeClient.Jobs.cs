using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ganymede.Client;

public sealed partial class GanymedeClient
{
    public Task<List<Tool>> ListToolsAsync(CancellationToken cancel = default) => GetAsync<List<Tool>>("api/tools?in_panel=False", cancel);

    /// <summary>Starts a tool. Dataset inputs are {"src": "hda", "id": ...} objects (see <see cref="DatasetInput"/>).</summary>
    public Task<ToolRun> RunToolAsync(string historyId, string toolId, JsonObject inputs, CancellationToken cancel = default) =>
        SendAsync<ToolRun>(HttpMethod.Post, "api/tools", new JsonObject { ["history_id"] = historyId, ["tool_id"] = toolId, ["inputs"] = inputs }, cancel);

    /// <summary>A dataset as a tool input value.</summary>
    public static JsonObject DatasetInput(string datasetId) => new() { ["src"] = "hda", ["id"] = datasetId };

    /// <summary>A job; with <paramref name="full"/>, its stdout and stderr too.</summary>
    public Task<Job> GetJobAsync(string id, bool full = false, CancellationToken cancel = default) =>
        GetAsync<Job>($"api/jobs/{id}" + (full ? "?full=True" : ""), cancel);

    /// <summary>Galaxy's metrics of a job: start and end time, runtime_seconds, cores allocated.</summary>
    public Task<List<JobMetric>> GetJobMetricsAsync(string id, CancellationToken cancel = default) => GetAsync<List<JobMetric>>($"api/jobs/{id}/metrics", cancel);

    /// <summary>
    /// Polls a job until it ends; returns it with stdout and stderr. A job that ends in error or is cancelled throws
    /// <see cref="JobFailedException"/>. <paramref name="progress"/> hears the job each time it changed (its state, or the
    /// progress a training reports).
    /// </summary>
    public async Task<Job> WaitForJobAsync(string id, TimeSpan timeout, bool throwOnFailure = true, IProgress<Job>? progress = null, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? seen = null;
        for (var interval = TimeSpan.FromMilliseconds(200); ; interval = Min(interval * 1.5, TimeSpan.FromSeconds(3)))
        {
            var job = await GetJobAsync(id, cancel: cancel);
            if (job.State + job.UpdateTime != seen)
            {
                seen = job.State + job.UpdateTime;
                progress?.Report(job);
            }
            if (job.IsTerminal)
            {
                job = await GetJobAsync(id, full: true, cancel);
                if (throwOnFailure && job.State != JobStates.Ok) throw new JobFailedException(job);
                return job;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {id} is still {job.State} after {timeout}");
            await Task.Delay(interval, cancel);
        }
    }

    /// <summary>Cancels a job; false when it had already ended.</summary>
    public Task<bool> CancelJobAsync(string id, CancellationToken cancel = default) => SendAsync<bool>(HttpMethod.Delete, $"api/jobs/{id}", new { }, cancel);

    /// <summary>
    /// The original system's run_script_job, with its failures reported: creates a history, uploads the datasets
    /// and the script or notebook, runs ganymede_run_script with the datasets at the paths the script uses (the
    /// paths as given here, matched by position), waits for the job, and returns the history's contents.
    /// </summary>
    /// <param name="parameters">Values the script reads with Parameter(name, fallback), e.g. {"epochs": 2}.</param>
    /// <param name="progress">Hears the job whenever it changes, with the progress a training reports (Job.Progress).</param>
    /// <exception cref="JobFailedException">the script failed (its stderr is in the exception's Job).</exception>
    public async Task<ScriptJobResult> RunScriptJobAsync(string scriptOrNotebook, IReadOnlyList<string> datasets, string historyName = "ml_analysis",
        TimeSpan? timeout = null, IProgress<string>? log = null, JsonObject? parameters = null, IProgress<Job>? progress = null, CancellationToken cancel = default)
    {
        var history = await CreateHistoryAsync(historyName, cancel);
        log?.Report($"history {history.Name} ({history.Id}) created");
        var uploaded = new JsonArray();
        foreach (var path in datasets)
        {
            var d = await WaitForDatasetAsync((await UploadAsync(history.Id, path, cancel: cancel)).Id, TimeSpan.FromHours(1), cancel);
            if (d.State != DatasetStates.Ok) throw new InvalidOperationException($"upload of {path} ended in {d.State}: {d.MiscInfo}");
            uploaded.Add(DatasetInput(d.Id));
            log?.Report($"data file {path} uploaded");
        }
        var script = await UploadAsync(history.Id, scriptOrNotebook, cancel: cancel);
        log?.Report($"code {Path.GetFileName(scriptOrNotebook)} uploaded");
        var inputs = new JsonObject { ["select_file"] = DatasetInput(script.Id) };
        if (datasets.Count > 0)
        {
            inputs["ml_h5_datasets"] = uploaded;
            inputs["ml_h5_dataset_paths"] = string.Join(",", datasets);
        }
        if (parameters is not null) inputs["parameters"] = parameters.ToJsonString();
        var run = await RunToolAsync(history.Id, "ganymede_run_script", inputs, cancel);
        log?.Report($"job {run.Jobs[0].Id} started");
        var job = await WaitForJobAsync(run.Jobs[0].Id, timeout ?? TimeSpan.FromDays(7), cancel: cancel, progress: progress);
        log?.Report("executed code");
        return new ScriptJobResult(await GetHistoryAsync(history.Id, cancel), job, await ListContentsAsync(history.Id, cancel));
    }

    /// <summary>The same, as the original's static call: run_script_job(script, data, server, key, history_name).</summary>
    public static async Task<ScriptJobResult> RunScriptJob(string scriptOrNotebook, IReadOnlyList<string> datasets, string server, string key, string historyName = "ml_analysis")
    {
        using var client = new GanymedeClient(server, key);
        return await client.RunScriptJobAsync(scriptOrNotebook, datasets, historyName);
    }

    /// <summary>
    /// Waits until the notebook session run as job <paramref name="jobId"/> listens, and returns its URL (Galaxy's
    /// entry point target); a session that ends first is a <see cref="JobFailedException"/>.
    /// </summary>
    public async Task<Uri> WaitForSessionAsync(string jobId, TimeSpan timeout, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var points = await GetAsync<JsonArray>($"api/entry_points?job_id={jobId}", cancel);
            if (points.FirstOrDefault(p => p?["active"]?.GetValue<bool>() == true) is { } point) return new Uri(point["target"]!.ToString());
            if (await GetJobAsync(jobId, cancel: cancel) is { IsTerminal: true } ended) throw new JobFailedException(ended);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"session {jobId} did not start within {timeout}");
            await Task.Delay(100, cancel);
        }
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken cancel)
    {
        using var response = await _http.GetAsync(path, cancel);
        await ThrowIfError(response, cancel);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancel))!;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object body, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, body.GetType(), options: Json) };
        using var response = await _http.SendAsync(request, cancel);
        await ThrowIfError(response, cancel);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancel))!;
    }

    private static async Task ThrowIfError(HttpResponseMessage response, CancellationToken cancel)
    {
        if (response.IsSuccessStatusCode) return;
        var text = await response.Content.ReadAsStringAsync(cancel);
        int code = 0;
        string message = text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject error)
            {
                message = error["err_msg"]?.ToString() ?? text;
                code = error["err_code"]?.GetValue<int>() ?? 0;
            }
        }
        catch (JsonException) { }
        throw new GanymedeApiException((int)response.StatusCode, code, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}: {(int)response.StatusCode} {message}");
    }
}
