using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Invocations: invoke a workflow, list, show, cancel, a step and a pause's decision, job summaries, the report and
/// the BioCompute object; both under /api/invocations and under their workflow, as BioBlend calls them.
/// </summary>
public static class InvocationEndpoints
{
    public static IEndpointRouteBuilder MapInvocationEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/workflows/{id}/invocations", async (HttpContext c, string id, WorkflowService workflows, InvocationService invocations,
            LibraryService libraries, WorkflowScheduler scheduler, WorkflowViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var workflow = workflows.Readable(user, access.Decode("workflow", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var invocation = invocations.Invoke(user, workflow, body, new InvocationService.Lookups(
                d => access.Dataset(user, d), hdca => access.Collection(user, hdca), ld => libraries.Dataset(user, access.Decode("library dataset", ld)),
                h => access.WritableHistory(user, h)));
            scheduler.Wake();
            return Results.Json(views.Invocation(invocation));
        });
        app.MapGet("/api/workflows/{id}/invocations", (HttpContext c, string id, WorkflowService workflows, WorkflowStore store, WorkflowViews views, Access access) =>
        {
            var user = c.CurrentUser();
            var workflow = workflows.Readable(user, access.Decode("workflow", id));
            return Results.Json(store.Invocations(user.Id, workflow.Id, null, true, 10_000).Select(i => views.Invocation(i, withSteps: false)).ToList());
        });
        app.MapGet("/api/invocations", (HttpContext c, WorkflowStore store, WorkflowViews views, Access access) =>
        {
            var user = c.CurrentUser();
            var r = c.Request;
            long? owner = r.Query["user_id"].LastOrDefault() is { } u ? access.Decode("user", u) : user.Id;
            if (owner != user.Id && !user.IsAdmin) throw ApiException.Forbidden("only administrators may list other users' invocations");
            var list = store.Invocations(owner, r.Query["workflow_id"].LastOrDefault() is { } w ? access.Decode("workflow", w) : null,
                r.Query["history_id"].LastOrDefault() is { } h ? access.History(user, h).Id : null, r.QueryBool("include_terminal") ?? true, r.QueryInt("limit", 1000, 10_000));
            return Results.Json(list.Select(i => views.Invocation(i, withSteps: r.Query["view"].LastOrDefault() == "element")).ToList());
        });

        foreach (var root in new[] { "/api/invocations/{invocationId}", "/api/workflows/{id}/invocations/{invocationId}" })
        {
            app.MapGet(root, (HttpContext c, string invocationId, Access access, WorkflowViews views) => Results.Json(views.Invocation(access.Invocation(c.CurrentUser(), invocationId))));
            app.MapDelete(root, (HttpContext c, string invocationId, Access access, InvocationService invocations, WorkflowViews views) =>
                Results.Json(views.Invocation(invocations.Cancel(access.Invocation(c.CurrentUser(), invocationId)))));
            app.MapGet(root + "/steps/{stepId}", (HttpContext c, string invocationId, string stepId, Access access, WorkflowViews views, WorkflowService workflows, WorkflowStore store) =>
            {
                var invocation = access.Invocation(c.CurrentUser(), invocationId);
                return Results.Json(views.Step(access.InvocationStep(invocation, stepId), workflows.Definition(invocation)));
            });
            app.MapPut(root + "/steps/{stepId}", async (HttpContext c, string invocationId, string stepId, Access access, InvocationService invocations,
                WorkflowScheduler scheduler, WorkflowViews views, WorkflowService workflows, WorkflowStore store, ServerOptions o) =>
            {
                var invocation = access.Invocation(c.CurrentUser(), invocationId);
                var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
                var step = invocations.Act(invocation, access.InvocationStep(invocation, stepId), body.Bool("action") ?? throw ApiException.MissingParameter("action (true or false) is required"));
                scheduler.Wake();
                return Results.Json(views.Step(step, workflows.Definition(invocation)));
            });
        }

        app.MapGet("/api/invocations/{invocationId}/jobs_summary", (HttpContext c, string invocationId, Access access, WorkflowStore store, WorkflowViews views) =>
        {
            var invocation = access.Invocation(c.CurrentUser(), invocationId);
            return Results.Json(views.JobsSummary(invocationId, "WorkflowInvocation", store.Steps(invocation.Id).SelectMany(s => store.StepJobs(s.Id))));
        });
        app.MapGet("/api/invocations/{invocationId}/step_jobs_summary", (HttpContext c, string invocationId, Access access, WorkflowStore store, WorkflowViews views, IdCodec ids) =>
        {
            var invocation = access.Invocation(c.CurrentUser(), invocationId);
            return Results.Json(store.Steps(invocation.Id).Select(s => store.StepJobs(s.Id)).Where(j => j.Count > 0)
                .Select(j => views.JobsSummary(ids.Encode(j[0]), j.Count == 1 ? "Job" : "ImplicitCollectionJobs", j)).ToList());
        });
        app.MapGet("/api/invocations/{invocationId}/report", (HttpContext c, string invocationId, Access access, WorkflowStore store, WorkflowService workflows, IdCodec ids) =>
        {
            var invocation = access.Invocation(c.CurrentUser(), invocationId);
            var workflow = store.Get(invocation.WorkflowId)!;
            var definition = workflows.Definition(invocation);
            var markdown = InvocationReport.Markdown(invocation, definition, store);
            return Results.Json(new Dictionary<string, object?>
            {
                ["render_format"] = "markdown", ["title"] = $"Workflow Execution Summary of {definition.Name}", ["invocation_markdown"] = markdown,
                ["markdown"] = markdown, ["id"] = invocationId, ["model_class"] = "Report",
                ["workflows"] = new Dictionary<string, object?> { [ids.Encode(workflow.Id)] = new Dictionary<string, object?> { ["name"] = definition.Name } },
            });
        });
        app.MapGet("/api/invocations/{invocationId}/biocompute", (HttpContext c, string invocationId, Access access, WorkflowStore store, WorkflowService workflows, JobStore jobs) =>
        {
            var invocation = access.Invocation(c.CurrentUser(), invocationId);
            var definition = workflows.Definition(invocation);
            return Results.Json(InvocationReport.BioCompute(invocation, definition, store, jobs));
        });
        return app;
    }
}
