using System.Globalization;
using System.Text.Json.Nodes;
using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// One workflow: its steps, and a form to run it made from its input steps (a dataset or collection of the chosen
/// history, a parameter of its type with its default). Running goes through the API's InvocationService, in the chosen
/// history or a new one; what it refuses is shown with the step at fault, with what the user entered kept.
/// </summary>
public sealed class WorkflowModel(UserStore users, HistoryStore histories, DatasetStore datasets, CollectionStore collections, WorkflowService workflows,
    InvocationService invocations, LibraryService libraries, WorkflowScheduler scheduler, Access access, IdCodec ids) : PageModel
{
    public WorkflowRecord Workflow { get; private set; } = null!;
    public WorkflowDefinition Definition { get; private set; } = null!;
    public IReadOnlyList<HistoryRecord> Histories { get; private set; } = [];
    public HistoryRecord? History { get; private set; }
    public IReadOnlyList<DatasetRecord> Datasets { get; private set; } = [];
    public IReadOnlyList<HistoryCollectionRecord> Collections { get; private set; } = [];
    /// <summary>What the form holds per input step: the defaults, or what the user sent.</summary>
    public Dictionary<int, string> Values { get; } = [];
    public string? Error { get; private set; }

    public string Id(long id) => ids.Encode(id);
    public IEnumerable<WorkflowStep> Inputs => Definition.Steps.Where(s => s.IsInput);
    public static string ParameterType(WorkflowStep step) => step.ToolState["parameter_type"]?.ToString() ?? "text";
    /// <summary>Whether the run needs a value from the form: not when the step is optional or has a default.</summary>
    public static bool Required(WorkflowStep step) => step.ToolState["optional"]?.ToString() is not ("true" or "True") && step.ToolState["default"] is null;

    public void OnGet(string id, string? history)
    {
        Load(id, history);
        foreach (var step in Inputs)
            if (step.ToolState["default"] is { } d) Values[step.Index] = d is JsonValue v && v.TryGetValue<string>(out var s) ? s : d.ToJsonString();
    }

    public IActionResult OnPost(string id, string? history)
    {
        Load(id, history);
        var me = Me;
        var inputs = new JsonObject();
        foreach (var step in Inputs)
        {
            var sent = Request.Form[$"input-{step.Index}"].LastOrDefault() ?? "";
            Values[step.Index] = sent;
            if (step.Type == WorkflowDefinition.ParameterInput && ParameterType(step) == "boolean") sent = sent == "true" ? "true" : "false";
            if (sent.Length == 0) continue;
            inputs[Key(step.Index)] = step.Type switch
            {
                WorkflowDefinition.DataInput => new JsonObject { ["src"] = "hda", ["id"] = sent },
                WorkflowDefinition.CollectionInput => new JsonObject { ["src"] = "hdca", ["id"] = sent },
                _ => sent,
            };
        }
        var body = new JsonObject { ["inputs"] = inputs, ["inputs_by"] = "step_index" };
        if (History is not null) body["history_id"] = Id(History.Id);
        else if (Request.Form["new_history_name"].LastOrDefault() is { Length: > 0 } name) body["history"] = name;
        try
        {
            var invocation = invocations.Invoke(me, Workflow, body, new InvocationService.Lookups(
                d => access.Dataset(me, d), hdca => access.Collection(me, hdca), ld => libraries.Dataset(me, access.Decode("library dataset", ld)),
                h => access.WritableHistory(me, h)));
            scheduler.Wake();
            return Redirect("/invocations/" + Id(invocation.Id));
        }
        catch (ApiException e) when (e.Status is 400 or 403 or 404)
        {
            Error = $"The workflow was not run: {e.Message.TrimEnd('.')}.";
            Response.StatusCode = 400;
            return Page();
        }
    }

    private UserRecord Me => WebPages.CurrentUser(User, users);

    private void Load(string id, string? history)
    {
        var me = Me;
        Workflow = workflows.Readable(me, access.Decode("workflow", id));
        Definition = workflows.Definition(Workflow);
        Histories = histories.List(me.Id, deleted: false, published: null).OrderByDescending(h => h.UpdateTime, StringComparer.Ordinal).ToList();
        // "new" runs in a new history; nothing chosen offers the latest one.
        History = history == "new" ? null : !string.IsNullOrEmpty(history) ? access.WritableHistory(me, history) : Histories.Count > 0 ? Histories[0] : null;
        if (History is null) return;
        Datasets = datasets.ListByHistory(History.Id, deleted: false, visible: true).Where(d => d.State is not (DatasetStates.Error or DatasetStates.Discarded)).ToList();
        Collections = collections.ListByHistory(History.Id, deleted: false, visible: true);
    }

    private static string Key(int index) => index.ToString(CultureInfo.InvariantCulture);
}
