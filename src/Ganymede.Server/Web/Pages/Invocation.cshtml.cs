using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// One invocation: the workflow's graph with each step's state, refreshed every second until every step and job has
/// ended, with links to the steps' jobs and outputs; cancel it, or decide on a pause. The same Access check and
/// InvocationService as the API.
/// </summary>
public sealed class InvocationModel(UserStore users, HistoryStore histories, WorkflowStore store, WorkflowService workflows, InvocationService invocations,
    WorkflowScheduler scheduler, JobStore jobs, Access access, IdCodec ids) : PageModel
{
    public InvocationRecord Invocation { get; private set; } = null!;
    public WorkflowRecord Workflow { get; private set; } = null!;
    public HistoryRecord History { get; private set; } = null!;
    public InvocationGraph Graph { get; private set; } = null!;

    public string Id(long id) => ids.Encode(id);
    /// <summary>The invocation a subworkflow step runs, to link to; null for other steps.</summary>
    public InvocationRecord? SubInvocation(GraphNode node) => node.Reached is { } row && node.Step.Subworkflow is not null ? store.SubInvocation(row.Id) : null;
    /// <summary>Whether anything can still change: the page keeps refreshing until not.</summary>
    public bool Live => Invocation.State is "new" or "ready" || Graph.Nodes.Any(n => n.State is "waiting" or "queued" or "running" or "paused");

    public void OnGet(string id) => Load(id);

    /// <summary>The graph and steps alone, for the refresh every second.</summary>
    public IActionResult OnGetGraph(string id)
    {
        Load(id);
        return Partial("_InvocationGraph", this);
    }

    public IActionResult OnPostCancel(string id)
    {
        invocations.Cancel(access.Invocation(Me, id));
        return Redirect("/invocations/" + id);
    }

    /// <summary>A pause's decision: go on (true) or cancel the run (false).</summary>
    public IActionResult OnPostDecide(string id, string step, bool proceed)
    {
        var invocation = access.Invocation(Me, id);
        invocations.Act(invocation, access.InvocationStep(invocation, step), proceed);
        scheduler.Wake();
        return Redirect("/invocations/" + id);
    }

    private UserRecord Me => WebPages.CurrentUser(User, users);

    private void Load(string id)
    {
        Invocation = access.Invocation(Me, id);
        Workflow = store.Get(Invocation.WorkflowId)!;
        History = histories.Get(Invocation.HistoryId)!;
        var definition = workflows.Definition(Invocation);
        Graph = new InvocationGraph(definition, Invocation, store.Steps(Invocation.Id), step => store.StepJobs(step).Select(jobs.Get).OfType<JobRecord>().ToList(), jobs.Outputs);
    }
}
