using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Workflows: import (.ga), list (one's own, and published ones), show (any version), export, update (a rename or
/// a new definition is a new version), refactor, versions, delete, extract from a history. Invocations are in <see cref="InvocationEndpoints"/>.
/// </summary>
public static class WorkflowEndpoints
{
    public static IEndpointRouteBuilder MapWorkflowEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/workflows", (HttpContext c, WorkflowStore workflows, WorkflowViews views) =>
        {
            var user = c.CurrentUser();
            var list = workflows.List(user.Id, c.Request.QueryBool("show_published") == true, c.Request.QueryBool("show_deleted") == true);
            return Results.Json(list.Select(views.Summary).ToList());
        });
        app.MapPost("/api/workflows/upload", async (HttpContext c, WorkflowService workflows, WorkflowViews views, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var ga = body["workflow"] as JsonObject ?? throw ApiException.MissingParameter("workflow (the .ga document) is required");
            return Results.Json(views.Summary(workflows.Import(c.CurrentUser(), ga, body.Bool("publish") ?? false)));
        });
        // Galaxy's other ways in: a .ga document, a published workflow to copy, or a history to extract one from.
        app.MapPost("/api/workflows", async (HttpContext c, WorkflowService workflows, WorkflowViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            if (body["workflow"] is JsonObject ga) return Results.Json(views.Summary(workflows.Import(user, ga, body.Bool("publish") ?? false)));
            if (body.String("shared_workflow_id") is { } shared)
            {
                var source = workflows.Readable(user, access.Decode("workflow", shared));
                return Results.Json(views.Summary(workflows.Import(user, workflows.Definition(source).ToGa(), publish: false)));
            }
            if (body.String("from_history_id") is { } historyId)
            {
                var history = access.History(user, historyId);
                var jobs = (body.Strings("job_ids") ?? []).Select(j => access.Job(user, j)).ToList();
                var hids = (body["dataset_ids"] as JsonArray ?? []).Select(h => long.TryParse(h?.ToString(), out var hid) ? hid : throw ApiException.BadRequest($"dataset_ids: '{h}' is not a hid")).ToList();
                return Results.Json(views.Summary(workflows.Extract(user, history, body.String("workflow_name") ?? "Workflow from history", hids, jobs)));
            }
            throw ApiException.MissingParameter("send a workflow (.ga), a shared_workflow_id, or a from_history_id");
        });
        app.MapGet("/api/workflows/{id}", (HttpContext c, string id, WorkflowService workflows, WorkflowViews views, Access access) =>
            Results.Json(views.Detail(workflows.Readable(c.CurrentUser(), access.Decode("workflow", id)), Version(c))));
        app.MapGet("/api/workflows/{id}/versions", (HttpContext c, string id, WorkflowService workflows, WorkflowStore store, Access access) =>
        {
            var workflow = workflows.Readable(c.CurrentUser(), access.Decode("workflow", id));
            return Results.Json(store.Versions(workflow.Id).Select(v => new Dictionary<string, object?>
            {
                ["version"] = v.Version, ["update_time"] = v.CreateTime, ["steps"] = (JsonNode.Parse(v.Definition)!["steps"] as JsonObject)?.Count ?? 0,
            }).ToList());
        });
        app.MapGet("/api/workflows/download/{id}", (HttpContext c, string id, WorkflowService workflows, Access access) => Download(c, id, workflows, access));
        app.MapGet("/api/workflows/{id}/download", (HttpContext c, string id, WorkflowService workflows, Access access) => Download(c, id, workflows, access));
        app.MapPut("/api/workflows/{id}", async (HttpContext c, string id, WorkflowService workflows, WorkflowViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var workflow = workflows.Writable(user, access.Decode("workflow", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var updated = workflows.Update(user, workflow, body.String("name"), body.String("annotation"), body.Bool("published"), body["workflow"] as JsonObject);
            return Results.Json(views.Detail(updated, null));
        });
        app.MapPut("/api/workflows/{id}/refactor", async (HttpContext c, string id, WorkflowService workflows, Access access, ServerOptions o) =>
        {
            var workflow = workflows.Writable(c.CurrentUser(), access.Decode("workflow", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            bool dryRun = body.Bool("dry_run") ?? false;
            var (definition, applied) = workflows.Refactor(workflow, body["actions"] as JsonArray ?? throw ApiException.MissingParameter("actions is required"), dryRun);
            return Results.Json(new Dictionary<string, object?>
            {
                ["action_executions"] = applied.Select(a => new Dictionary<string, object?> { ["action"] = new Dictionary<string, object?> { ["action_type"] = a }, ["messages"] = Array.Empty<object>() }).ToList(),
                ["dry_run"] = dryRun, ["workflow"] = definition.ToGa(workflow.Uuid),
            });
        });
        app.MapDelete("/api/workflows/{id}", (HttpContext c, string id, WorkflowService workflows, Access access) =>
        {
            var workflow = workflows.Delete(workflows.Writable(c.CurrentUser(), access.Decode("workflow", id)));
            return Results.Json($"Workflow '{workflow.Name}' successfully deleted.");
        });
        return app;
    }

    private static IResult Download(HttpContext c, string id, WorkflowService workflows, Access access)
    {
        var workflow = workflows.Readable(c.CurrentUser(), access.Decode("workflow", id));
        int version = Version(c) ?? workflow.LatestVersion;
        return Results.Json(workflows.Definition(workflow, version).ToGa(workflow.Uuid, version));
    }

    private static int? Version(HttpContext c) => c.Request.QueryInt("version", -1) is var v and >= 0 ? v : null;
}
