using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;
using Ganymede.Server.Services.Previews;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// One job: its tool, state, parameters, inputs and outputs, runtime, and its stdout and stderr, which refresh
/// themselves while it runs; cancel and rerun it. The same Access check, JobManager and JobSubmission as the API.
/// </summary>
public sealed class JobModel(UserStore users, DatasetStore datasets, HistoryStore histories, ToolBox tools, JobManager manager,
    JobSubmission submission, Access access, IdCodec ids, RunMetrics runs, Sessions.NotebookSessions sessions) : PageModel
{
    public JobRecord Job { get; private set; } = null!;
    public Tool? Tool { get; private set; }
    public HistoryRecord? History { get; private set; }
    public IReadOnlyList<(string Name, string Value)> Parameters { get; private set; } = [];
    public IReadOnlyList<(string Name, DatasetRecord Dataset)> Inputs { get; private set; } = [];
    public IReadOnlyList<(string Name, DatasetRecord Dataset)> Outputs { get; private set; } = [];
    public IReadOnlyList<Dictionary<string, object?>> Metrics { get; private set; } = [];
    public string Stdout { get; private set; } = "";
    public string Stderr { get; private set; } = "";
    public string? Error { get; private set; }
    /// <summary>A training job's figures per epoch: from its metrics file while it runs, from its metrics dataset after.</summary>
    public TrainingMetrics? Curves { get; private set; }
    /// <summary>The job's image outputs (training curves, validation figure), shown on its page once made.</summary>
    public IEnumerable<(string Name, DatasetRecord Dataset)> Pictures => Outputs.Where(o => o.Dataset.Extension == "png" && o.Dataset.State == DatasetStates.Ok);

    public bool Finished => JobStates.IsTerminal(Job.State);
    public string Id(long id) => ids.Encode(id);

    public void OnGet(string id) => Load(id);

    /// <summary>The page's body alone, for its live refresh while the job runs.</summary>
    public IActionResult OnGetDetails(string id)
    {
        Load(id);
        return Partial("_JobDetails", this);
    }

    /// <summary>Cancels the job; a notebook session is stopped as Jupyter stops itself, so its notebooks are saved.</summary>
    public async Task<IActionResult> OnPostCancelAsync(string id)
    {
        var job = Owned(id);
        if (!(sessions.IsSession(job) && await sessions.StopAsync(job, HttpContext.RequestAborted))) manager.Cancel(job);
        return Redirect("/jobs/" + id);
    }

    /// <summary>Where a running notebook session opens, once its notebook server listens; null otherwise.</summary>
    public string? SessionUrl => sessions.IsSession(Job) && sessions.IsListening(Job) ? Sessions.NotebookSessions.EntryPath(Id(Job.Id)) : null;
    public bool IsSession => sessions.IsSession(Job);

    /// <summary>What a remote front end (VS Code, a local JupyterLab) connects with: the session's address and its own token.</summary>
    public (string Url, string Token)? RemoteAccess => SessionUrl is { } path && sessions.AccessToken(Job.Id) is { } token
        ? ($"{Request.Scheme}://{Request.Host}{path}", token) : null;

    /// <summary>Runs the tool again on the same inputs with the same parameters, in the same history.</summary>
    public IActionResult OnPostRerun(string id)
    {
        var job = Owned(id);
        var tool = tools.Find(job.ToolId) ?? throw ApiException.NotFound($"tool {job.ToolId} is no longer installed");
        var inputs = JsonNode.Parse(job.Params)?.AsObject() ?? [];
        foreach (var (name, list) in JsonSerializer.Deserialize<Dictionary<string, List<long>>>(job.Inputs) ?? [])
            inputs[name] = new JsonObject { ["values"] = new JsonArray(list.Select(d => (JsonNode)new JsonObject { ["src"] = "hda", ["id"] = Id(d) }).ToArray()) };
        try
        {
            var (rerun, _) = submission.Submit(Me, access.WritableHistory(Me, Id(job.HistoryId)), tool, inputs);
            manager.Wake();
            return Redirect("/jobs/" + Id(rerun.Id));
        }
        catch (ApiException e) when (e.Status is 400 or 403)
        {
            Error = e.Message; // an input deleted since, a quota: said on the job's page
            Load(id);
            return Page();
        }
    }

    private UserRecord Me => WebPages.CurrentUser(User, users);

    private JobRecord Owned(string id)
    {
        var job = access.Job(Me, id);
        return job.UserId == Me.Id ? job : throw ApiException.Forbidden($"job {id} belongs to another user");
    }

    private void Load(string id)
    {
        Job = access.Job(Me, id);
        Tool = tools.Find(Job.ToolId);
        History = histories.Get(Job.HistoryId);
        Parameters = GalaxyViews.JobParameters(Job).Select(p => (p.Key, p.Value)).ToList();
        Inputs = GalaxyViews.JobInputs(Job).Select(i => (i.Name, datasets.Get(i.Id))).Where(i => i.Item2 is not null).Select(i => (i.Name, i.Item2!)).ToList();
        Outputs = GalaxyViews.JobOutputs(Job).Select(o => (o.Key, datasets.Get(o.Value))).Where(o => o.Item2 is not null).Select(o => (o.Key, o.Item2!)).ToList();
        Metrics = manager.Metrics(Job);
        Stdout = manager.ReadLog(Job.Id, "stdout", 256 << 10);
        Stderr = manager.ReadLog(Job.Id, "stderr", 256 << 10);
        Curves = runs.For(Job);
    }
}
