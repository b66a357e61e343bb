using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;
using Ganymede.Server.Sessions;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Api;

/// <summary>
/// Jobs: list (by history, tool, state, dates, invocation, workflow), search (by tool and values), show (with stdout, stderr and exit code when
/// full), inputs, outputs, what a rerun needs, common problems, where it ran, error reports, cancel; the job lock.
/// </summary>
public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/jobs", (HttpContext c, Access access, JobStore jobs, GalaxyViews views) =>
        {
            var user = c.CurrentUser();
            var r = c.Request;
            var historyId = r.Query["history_id"].LastOrDefault();
            string[]? List(string name) => r.Query[name].Count == 0 ? null : r.Query[name].SelectMany(v => v!.Split(',')).ToArray();
            bool everyone = user.IsAdmin && r.QueryBool("user_details") == true;
            // Galaxy's date range is of whole days, by when a job last changed: date_range_max's day is included.
            var list = jobs.List(everyone ? null : user.Id, historyId is null ? null : access.History(user, historyId).Id, List("state"), List("tool_id"),
                r.QueryInt("limit", 500, 10_000), r.QueryInt("offset", 0), r.Query["order_by"].LastOrDefault() ?? "update_time",
                Day(r, "date_range_min")?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                Day(r, "date_range_max")?.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                r.Query["invocation_id"].LastOrDefault() is { } invocation ? access.Invocation(user, invocation).Id : null,
                r.Query["workflow_id"].LastOrDefault() is { } workflow ? access.Decode("workflow", workflow) : null);
            return Results.Json(list.Select(j => views.JobSummary(j, user.IsAdmin)).ToList());
        });

        app.MapGet("/api/job_lock", (HttpContext c, JobManager manager) => Results.Json(new Dictionary<string, object?> { ["active"] = Admin(c) && manager.JobLock }));
        app.MapPut("/api/job_lock", async (HttpContext c, JobManager manager, ServerOptions o) =>
        {
            Admin(c);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            manager.JobLock = body.Bool("active") ?? throw ApiException.MissingParameter("active (true or false) is required");
            return Results.Json(new Dictionary<string, object?> { ["active"] = manager.JobLock });
        });

        app.MapGet("/api/jobs/{id}", (HttpContext c, string id, Access access, DatasetStore datasets, JobManager manager, GalaxyViews views) =>
        {
            var user = c.CurrentUser();
            var job = access.Job(user, id);
            var view = views.Job(job, d => datasets.Get(d)?.Uuid);
            if (c.Request.QueryBool("full") == true)
            {
                string stdout = manager.ReadLog(job.Id, "stdout"), stderr = manager.ReadLog(job.Id, "stderr");
                if (job.State == JobStates.Error && job.Info is { } info) stderr = stderr.Length == 0 ? info : stderr + "\n" + info;
                view["stdout"] = stdout;
                view["stderr"] = stderr;
                view["tool_stdout"] = stdout;
                view["tool_stderr"] = stderr;
                view["job_stdout"] = "";
                view["job_stderr"] = "";
                view["job_messages"] = job.Info is null ? Array.Empty<object>() : new object[] { new Dictionary<string, object?> { ["desc"] = job.Info } };
                view["command_line"] = user.IsAdmin ? job.CommandLine : null;
                view["job_metrics"] = manager.Metrics(job);
            }
            return Results.Json(view);
        });

        app.MapGet("/api/jobs/{id}/inputs", (HttpContext c, string id, Access access, GalaxyViews views) =>
            Results.Json(GalaxyViews.JobInputs(access.Job(c.CurrentUser(), id)).Select(i => Entry(i.Name, i.Id, views)).ToList()));
        app.MapGet("/api/jobs/{id}/outputs", (HttpContext c, string id, Access access, GalaxyViews views) =>
            Results.Json(GalaxyViews.JobOutputs(access.Job(c.CurrentUser(), id)).Select(o => Entry(o.Key, o.Value, views)).ToList()));
        app.MapGet("/api/jobs/{id}/metrics", (HttpContext c, string id, Access access, JobManager manager) =>
            Results.Json(manager.Metrics(access.Job(c.CurrentUser(), id))));

        // What a rerun starts from: the tool, the history, and the job's values in the 21.01 format run_tool accepts.
        app.MapGet("/api/jobs/{id}/build_for_rerun", (HttpContext c, string id, Access access, GalaxyViews views) =>
        {
            var job = access.Job(c.CurrentUser(), id);
            var state = JsonNode.Parse(job.Params) as JsonObject ?? [];
            foreach (var (name, ids) in System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, List<long>>>(job.Inputs)!)
                state[name] = new JsonObject
                {
                    ["values"] = new JsonArray(ids.Select(i => (JsonNode?)new JsonObject { ["src"] = "hda", ["id"] = views.Id(i) }).ToArray()),
                };
            return Results.Json(new Dictionary<string, object?> { ["id"] = job.ToolId, ["history_id"] = views.Id(job.HistoryId), ["state_inputs"] = state, ["job_remap"] = false });
        });
        app.MapPost("/api/jobs/search", async (HttpContext c, Access access, JobStore jobs, GalaxyViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var toolId = body.String("tool_id") ?? throw ApiException.MissingParameter("tool_id is required");
            var wanted = JobSearch.Leaves(body["inputs"] as JsonObject ?? throw ApiException.MissingParameter("inputs is required"), access);
            var states = body.String("state") is { } state ? new[] { state } : null;
            var found = jobs.List(user.Id, null, states, [toolId], 10_000, 0, "update_time", null, null).Where(j => JobSearch.Matches(j, wanted));
            return Results.Json(found.Select(views.JobSummary).ToList());
        });
        app.MapGet("/api/jobs/{id}/common_problems", (HttpContext c, string id, Access access, DatasetStore datasets) =>
        {
            var inputs = GalaxyViews.JobInputs(access.Job(c.CurrentUser(), id)).Select(i => i.Id).ToList();
            return Results.Json(new Dictionary<string, object?>
            {
                ["has_empty_inputs"] = inputs.Any(i => datasets.Get(i) is not { FileSize: > 0 }), ["has_duplicate_inputs"] = inputs.Count != inputs.Distinct().Count(),
            });
        });
        app.MapGet("/api/jobs/{id}/destination_params", (HttpContext c, string id, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            if (!user.IsAdmin) throw ApiException.Forbidden("only administrators may see where a job ran");
            var job = access.Job(user, id);
            return Results.Json(new Dictionary<string, object?> { ["Runner"] = o.Runner, ["Runner Job ID"] = job.ExternalId, ["Handler"] = Environment.MachineName });
        });
        // This server sends no mail: the report goes to its log for the administrators, and the answer says so as Galaxy's does.
        app.MapPost("/api/jobs/{id}/error", async (HttpContext c, string id, Access access, ServerOptions o, ILoggerFactory logs) =>
        {
            var user = c.CurrentUser();
            var job = access.Job(user, id);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            if (body.String("dataset_id") is { } dataset) access.Dataset(user, dataset);
            var message = body.String("message") ?? "";
            logs.CreateLogger("Ganymede.ErrorReports").LogWarning("error report from {User} on job {Job} ({Tool}): {Message}", user.Email, id, job.ToolId, message.Length > 2000 ? message[..2000] : message);
            return Results.Json(new Dictionary<string, object?>
            {
                ["messages"] = new[] { new[] { "An error occurred sending the report by email: Mail is not configured for this Galaxy instance", "danger" } },
            });
        });

        // BioBlend's cancel_job reads a JSON boolean: true when the job was stopped, false when it had already ended.
        // A notebook session is stopped as Jupyter stops itself, so its notebooks are saved; any other job is cancelled.
        app.MapDelete("/api/jobs/{id}", async (HttpContext c, string id, Access access, JobManager manager, NotebookSessions sessions) =>
        {
            var job = access.Job(c.CurrentUser(), id);
            if (sessions.IsSession(job) && await sessions.StopAsync(job, c.RequestAborted)) return Results.Json(true);
            return Results.Json(manager.Cancel(job));
        });
        return app;
    }

    private static Dictionary<string, object?> Entry(string name, long id, GalaxyViews views) =>
        new() { ["name"] = name, ["dataset"] = new Dictionary<string, object?> { ["src"] = "hda", ["id"] = views.Id(id) } };

    private static bool Admin(HttpContext c) => c.CurrentUser().IsAdmin ? true : throw ApiException.Forbidden("only administrators may see or set the job lock");

    private static DateOnly? Day(HttpRequest r, string name) => r.Query[name].LastOrDefault() is not { Length: > 0 } text ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day) ? day
        : throw ApiException.BadRequest($"{name}: '{text}' is not a date (YYYY-MM-DD)");
}
