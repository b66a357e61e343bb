using Ganymede.Server.Jobs;
using Ganymede.Server.Sessions;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Galaxy's interactive tool entry points: a user's notebook sessions and where to open them. A session has one
/// entry point, whose id is its job's.
/// </summary>
public static class EntryPointEndpoints
{
    public static IEndpointRouteBuilder MapEntryPointEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/entry_points", (HttpContext c, JobStore jobs, ToolBox tools, NotebookSessions sessions, Access access, IdCodec ids) =>
        {
            var user = c.CurrentUser();
            bool runningOnly = c.Request.QueryBool("running") == true;
            var interactive = tools.All.Where(t => t.Interactive).Select(t => t.Id).ToArray();
            IEnumerable<JobRecord> list = c.Request.Query["job_id"].FirstOrDefault() is { } jobId
                ? [access.Job(user, jobId)]
                : jobs.List(user.Id, null, runningOnly ? [JobStates.Running] : null, interactive, 500, 0, "create_time");
            return Results.Json(list.Where(sessions.IsSession).Where(j => !runningOnly || j.State == JobStates.Running)
                .Select(j => View(j, tools.Find(j.ToolId)!.Name, c, sessions, ids)).ToList());
        });
        app.MapGet("/api/entry_points/{id}/access", (HttpContext c, string id, Access access, NotebookSessions sessions) =>
        {
            var job = access.Job(c.CurrentUser(), id);
            if (!sessions.IsSession(job)) throw ApiException.NotFound($"entry point {id} not found");
            return Results.Json(new Dictionary<string, object?> { ["target"] = Target(c, id) });
        });
        return app;
    }

    private static string Target(HttpContext c, string id) => $"{c.Request.Scheme}://{c.Request.Host}{NotebookSessions.EntryPath(id)}";

    private static Dictionary<string, object?> View(JobRecord j, string name, HttpContext c, NotebookSessions sessions, IdCodec ids)
    {
        var id = ids.Encode(j.Id);
        bool active = sessions.IsListening(j);
        return new()
        {
            ["model_class"] = "InteractiveToolEntryPoint", ["id"] = id, ["job_id"] = id, ["name"] = name,
            ["active"] = active, ["target"] = active ? Target(c, id) : null, ["created_time"] = j.CreateTime, ["modified_time"] = j.UpdateTime,
            ["output_datasets_ids"] = GalaxyViews.JobOutputs(j).Values.Select(ids.Encode).ToList(),
        };
    }
}
