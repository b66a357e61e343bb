using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// The rules for workflows: a user imports them (Galaxy's .ga), reads their own and published ones, changes and
/// deletes only their own; a rename or a new definition is a new version, older ones stay readable; a workflow can be
/// extracted from the jobs of a history.
/// </summary>
public sealed class WorkflowService(WorkflowStore workflows, DatasetStore datasets, ToolBox tools)
{
    public WorkflowRecord Import(UserRecord user, JsonObject ga, bool publish)
    {
        var definition = WorkflowDefinition.Parse(ga);
        return workflows.Create(user.Id, definition.Name, definition.Annotation, publish, definition.ToGa().ToJsonString());
    }

    /// <summary>The workflow if the user may read it: their own, or a published one (an administrator, any).</summary>
    public WorkflowRecord Readable(UserRecord user, long id)
    {
        var workflow = workflows.Get(id) ?? throw ApiException.NotFound("workflow not found");
        return workflow.UserId == user.Id || workflow.Published || user.IsAdmin ? workflow : throw ApiException.Forbidden("this workflow belongs to another user and is not published");
    }

    public WorkflowRecord Writable(UserRecord user, long id)
    {
        var workflow = Readable(user, id);
        return workflow.UserId == user.Id ? workflow : throw ApiException.Forbidden("only its owner may change a workflow");
    }

    public WorkflowDefinition Definition(WorkflowRecord workflow, int? version = null)
    {
        int v = version ?? workflow.LatestVersion;
        if (v < 0 || v > workflow.LatestVersion) throw ApiException.NotFound($"workflow version {v} not found (versions 0 to {workflow.LatestVersion})");
        return WorkflowDefinition.Parse(JsonNode.Parse(workflows.Definition(workflow.Id, v))!.AsObject());
    }

    /// <summary>The workflow an invocation runs: its workflow's version, or the subworkflow in it a subworkflow's invocation runs.</summary>
    public WorkflowDefinition Definition(InvocationRecord invocation) => Definition(workflows.Get(invocation.WorkflowId)!, invocation.Version).At(invocation.Path);

    /// <summary>Galaxy's update: name, annotation and published; a new definition (the "workflow" key) or a new name makes a new version.</summary>
    public WorkflowRecord Update(UserRecord user, WorkflowRecord workflow, string? name, string? annotation, bool? published, JsonObject? ga)
    {
        var definition = ga is null ? null : WorkflowDefinition.Parse(ga);
        if (name is not null && (name.Trim().Length is 0 or > 255 || name.Any(char.IsControl))) throw ApiException.BadRequest("a workflow's name is 1 to 255 characters");
        var renamed = name?.Trim() is { } n && n != workflow.Name ? n : null;
        if (renamed is not null) definition = (definition ?? Definition(workflow)) with { Name = renamed };
        if (definition is not null) workflow.Name = definition.Name;
        if (annotation is not null) workflow.Annotation = annotation.Length <= 10_000 ? annotation : throw ApiException.BadRequest("annotation: at most 10,000 characters");
        if (published is { } p) workflow.Published = p;
        workflows.Update(workflow, definition?.ToGa().ToJsonString());
        return workflows.Get(workflow.Id)!;
    }

    public WorkflowRecord Delete(WorkflowRecord workflow)
    {
        workflow.Deleted = true;
        workflows.Update(workflow, null);
        return workflow;
    }

    /// <summary>
    /// Galaxy's refactoring actions, applied in order to the latest version: add_input (data, data_collection or a
    /// parameter, with a label), update_step_label (a step found by its label or number), update_name, update_annotation.
    /// Unless it is a dry run, the result is the workflow's next version.
    /// </summary>
    public (WorkflowDefinition Definition, List<string> Applied) Refactor(WorkflowRecord workflow, JsonArray actions, bool dryRun)
    {
        var definition = Definition(workflow);
        var steps = definition.Steps.ToList();
        var applied = new List<string>();
        foreach (var node in actions)
        {
            if (node is not JsonObject action) throw ApiException.BadRequest("each action is an object with an action_type");
            string type = action["action_type"]?.ToString() ?? throw ApiException.MissingParameter("an action needs an action_type");
            switch (type)
            {
                case "add_input":
                    var kind = action["type"]?.ToString() ?? "data";
                    var stepType = kind switch { "data" => WorkflowDefinition.DataInput, "data_collection" => WorkflowDefinition.CollectionInput, _ => WorkflowDefinition.ParameterInput };
                    var state = new JsonObject { ["optional"] = action["optional"]?.DeepClone() ?? false };
                    if (stepType == WorkflowDefinition.ParameterInput) state["parameter_type"] = kind;
                    var label = action["label"]?.ToString();
                    if (label is not null && steps.Any(x => x.Label == label)) throw ApiException.BadRequest($"add_input: a step is already labelled '{label}'");
                    steps.Add(new WorkflowStep(steps.Count, stepType, null, null, label, "Input", "", state, new Dictionary<string, IReadOnlyList<StepConnection>>(), [], null));
                    break;
                case "update_step_label":
                    var reference = action["step"] as JsonObject ?? throw ApiException.MissingParameter("update_step_label needs a step");
                    int index = reference["order_index"] is JsonValue o && o.TryGetValue<int>(out var n) ? n
                        : steps.FindIndex(x => x.Label == reference["label"]?.ToString()) is var found and >= 0 ? found
                        : throw ApiException.BadRequest($"update_step_label: no step {reference.ToJsonString()}");
                    if (index < 0 || index >= steps.Count) throw ApiException.BadRequest($"update_step_label: no step {index}");
                    steps[index] = steps[index] with { Label = action["label"]?.ToString() };
                    break;
                case "update_name":
                    definition = definition with { Name = action["name"]?.ToString() is { Length: > 0 and <= 255 } name ? name : throw ApiException.BadRequest("update_name: a name of 1 to 255 characters") };
                    break;
                case "update_annotation":
                    definition = definition with { Annotation = action["annotation"]?.ToString() ?? "" };
                    break;
                default:
                    throw ApiException.BadRequest($"action '{type}' is not supported (add_input, update_step_label, update_name, update_annotation)");
            }
            applied.Add(type);
        }
        definition = definition with { Steps = steps };
        definition.Order();
        if (!dryRun)
        {
            workflow.Name = definition.Name;
            workflow.Annotation = definition.Annotation;
            workflows.Update(workflow, definition.ToGa().ToJsonString());
        }
        return (definition, applied);
    }

    /// <summary>Tool steps whose tool this server does not have (such a workflow is imported but cannot run).</summary>
    public IReadOnlyList<WorkflowStep> MissingTools(WorkflowDefinition definition) =>
        definition.ToolSteps().Where(s => tools.Find(s.ToolId!) is null).ToList();

    /// <summary>
    /// Galaxy's extract: the chosen datasets (by hid) become input steps, the chosen jobs tool steps with their values,
    /// connected wherever a job read a chosen dataset or another chosen job's output.
    /// </summary>
    public WorkflowRecord Extract(UserRecord user, HistoryRecord history, string name, IReadOnlyList<long> hids, IReadOnlyList<JobRecord> chosenJobs)
    {
        if (name.Trim().Length is 0 or > 255) throw ApiException.BadRequest("workflow_name: 1 to 255 characters");
        var contents = datasets.ListByHistory(history.Id).ToDictionary(d => d.Hid);
        var steps = new List<WorkflowStep>();
        var producedBy = new Dictionary<long, StepConnection>();
        foreach (var hid in hids)
        {
            if (!contents.TryGetValue(hid, out var input)) throw ApiException.BadRequest($"history {history.Name} has no dataset {hid}");
            producedBy[input.Id] = new StepConnection(steps.Count, "output");
            steps.Add(new WorkflowStep(steps.Count, WorkflowDefinition.DataInput, null, null, input.Name, "Input dataset", "",
                new JsonObject { ["name"] = input.Name }, new Dictionary<string, IReadOnlyList<StepConnection>>(), [], null));
        }
        foreach (var job in chosenJobs.OrderBy(j => j.Id))
        {
            if (job.HistoryId != history.Id) throw ApiException.BadRequest("every job must be from the history the workflow is extracted from");
            var connections = JsonSerializer.Deserialize<Dictionary<string, List<long>>>(job.Inputs)!
                .ToDictionary(p => p.Key, p => (IReadOnlyList<StepConnection>)p.Value.Where(producedBy.ContainsKey).Select(id => producedBy[id]).ToList())
                .Where(p => p.Value.Count > 0).ToDictionary(p => p.Key, p => p.Value);
            var state = JsonNode.Parse(job.Params) as JsonObject ?? [];
            foreach (var (output, dataset) in Api.GalaxyViews.JobOutputs(job)) producedBy[dataset] = new StepConnection(steps.Count, output);
            steps.Add(new WorkflowStep(steps.Count, WorkflowDefinition.ToolStep, job.ToolId, job.ToolVersion, null, tools.Find(job.ToolId)?.Name ?? job.ToolId, "",
                state, connections, [], null));
        }
        var definition = new WorkflowDefinition(name.Trim(), "", steps);
        return workflows.Create(user.Id, definition.Name, "", false, definition.ToGa().ToJsonString());
    }
}
