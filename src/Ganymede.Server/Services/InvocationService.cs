using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Invoking workflows: every input step gets a value the user may use (their dataset or collection, or a parameter),
/// by step number or by name; every tool must exist; the run goes to a history of the user's (or a new one). Nothing
/// is scheduled from an invalid invocation. <see cref="WorkflowScheduler"/> then advances it.
/// </summary>
public sealed class InvocationService(WorkflowStore workflows, WorkflowService workflowService, HistoryService histories, DatasetService datasets, LibraryService libraries,
    JobManager jobs, JobStore jobStore)
{
    /// <summary>What the caller gives to resolve references: a dataset, a collection, a history by id (each authorised).</summary>
    public sealed record Lookups(Func<string, DatasetRecord> Dataset, Func<string, HistoryCollectionRecord> Collection, Func<string, LibraryDatasetRecord> LibraryDataset,
        Func<string, HistoryRecord> History);

    public InvocationRecord Invoke(UserRecord user, WorkflowRecord workflow, JsonObject body, Lookups lookups)
    {
        var definition = workflowService.Definition(workflow);
        if (workflowService.MissingTools(definition) is { Count: > 0 } missing)
            throw ApiException.BadRequest(string.Join("; ", missing.Select(s => $"step {s.Index} uses tool '{s.ToolId}', which this server does not have")));
        bool byName = (body["inputs_by"]?.ToString() ?? "step_index|step_uuid").Split('|').Contains("name");
        var given = body["inputs"] as JsonObject ?? body["ds_map"] as JsonObject ?? [];
        var inputs = new JsonObject();
        var datasetInputs = new Dictionary<string, DatasetRecord>();
        var libraryInputs = new Dictionary<string, LibraryDatasetRecord>();
        foreach (var step in definition.Steps.Where(s => s.IsInput))
        {
            var value = given[step.Index.ToString(CultureInfo.InvariantCulture)] ?? (byName || given.ContainsKey(step.InputName) ? given[step.InputName] : null);
            if (value is null)
            {
                if (Optional(step) || step.Type == WorkflowDefinition.ParameterInput && step.ToolState["default"] is not null) continue;
                throw ApiException.BadRequest($"input step {step.Index} ('{step.InputName}') has no value: give it in inputs, by step number{(byName ? " or name" : "")}");
            }
            var key = step.Index.ToString(CultureInfo.InvariantCulture);
            if (step.Type == WorkflowDefinition.DataInput && value is JsonObject { } reference && reference["src"]?.ToString() is "ld" or "ldda")
            {
                libraryInputs[key] = lookups.LibraryDataset(reference["id"]?.ToString() ?? throw ApiException.MissingParameter($"input step {step.Index}: no id"));
                continue;
            }
            inputs[key] = Input(step, value, lookups, out var dataset);
            if (dataset is not null) datasetInputs[key] = dataset;
        }
        var parameters = body["parameters"] as JsonObject ?? body["params"] as JsonObject ?? [];
        if (parameters.ToJsonString().Length > 1 << 20) throw ApiException.BadRequest("parameters: at most 1 MiB");
        bool normalized = body["parameters_normalized"] is JsonValue n && n.TryGetValue<bool>(out var isNormalized) && isNormalized;
        foreach (var step in definition.Steps.Where(s => s.Subworkflow is not null))
        {
            var values = parameters[step.Index.ToString(CultureInfo.InvariantCulture)] as JsonObject;
            if (values is not null && !normalized)
                throw ApiException.BadRequest($"step {step.Index} is a subworkflow: give the values of its steps by their numbers, with parameters_normalized=true");
            CheckSubworkflowInputs(step, values);
        }
        var history = History(user, workflow, body, lookups);
        // Galaxy copies inputs from other histories into the one the workflow runs in, unless told not to.
        if (body["no_add_to_history"] is not JsonValue noAdd || !noAdd.TryGetValue<bool>(out var keep) || !keep)
            foreach (var (key, dataset) in datasetInputs.Where(d => d.Value.HistoryId != history.Id))
                inputs[key] = new JsonObject { ["src"] = "hda", ["id"] = datasets.Copy(user, dataset, history).Id };
        // A library dataset is imported into the history (its bytes shared), as Galaxy does.
        foreach (var (key, dataset) in libraryInputs)
            inputs[key] = new JsonObject { ["src"] = "hda", ["id"] = libraries.ImportToHistory(user, dataset, history).Id };
        return workflows.CreateInvocation(workflow, user.Id, history.Id, inputs.ToJsonString(), parameters.ToJsonString());
    }

    /// <summary>Stops the invocation (scheduled ones too, as Galaxy's): no step is started any more, and the jobs it started that have not ended are cancelled.</summary>
    public InvocationRecord Cancel(InvocationRecord invocation)
    {
        if (workflows.Transition(invocation.Id, ["new", "ready", "scheduled"], "cancelled"))
            foreach (var step in workflows.Steps(invocation.Id))
            {
                foreach (var id in workflows.StepJobs(step.Id))
                    if (jobStore.Get(id) is { } job && !JobStates.IsTerminal(job.State)) jobs.Cancel(job);
                if (workflows.SubInvocation(step.Id) is { } child) Cancel(child);
            }
        return workflows.GetInvocation(invocation.Id)!;
    }

    /// <summary>A person's decision on a pause step: go on (true), or cancel the invocation (false).</summary>
    public InvocationStepRecord Act(InvocationRecord invocation, InvocationStepRecord step, bool action)
    {
        if (step.State != "ready" || workflows.SubInvocation(step.Id) is not null)
            throw ApiException.BadRequest($"step {step.OrderIndex} is {step.State}: only a paused step waits for a decision");
        workflows.UpdateStep(step.Id, action ? "scheduled" : "cancelled", action, step.Outputs);
        if (!action) Cancel(invocation);
        return workflows.GetStep(step.Id)!;
    }

    /// <summary>
    /// A subworkflow step's values (Galaxy's normalized parameters: by inner step number, "1|2" naming step 2 of the
    /// subworkflow at step 1): those for its parameter inputs become its inputs, the others are its steps' values.
    /// </summary>
    public static (JsonObject Inputs, JsonObject Parameters) SubworkflowValues(WorkflowStep step, JsonObject? values)
    {
        var (inputs, parameters) = (new JsonObject(), new JsonObject());
        foreach (var (key, value) in values ?? [])
        {
            var last = key.Split('|')[^1];
            if (!int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= step.Subworkflow!.Steps.Count)
                throw ApiException.BadRequest($"step {step.Index} (a subworkflow) has no step '{key}'");
            (step.Subworkflow.Steps[index].Type == WorkflowDefinition.ParameterInput ? inputs : parameters)[last] = value?.DeepClone();
        }
        return (inputs, parameters);
    }

    /// <summary>Every input of a subworkflow is fed by a connection, given a value, optional, or has a default.</summary>
    private static void CheckSubworkflowInputs(WorkflowStep step, JsonObject? values)
    {
        var (given, _) = SubworkflowValues(step, values);
        var fed = step.Connections.Values.SelectMany(c => c).Select(c => c.InnerStep).ToHashSet();
        foreach (var inner in step.Subworkflow!.Steps.Where(s => s.IsInput && !fed.Contains(s.Index) && !given.ContainsKey(s.Index.ToString(CultureInfo.InvariantCulture))))
            if (!Optional(inner) && !(inner.Type == WorkflowDefinition.ParameterInput && inner.ToolState["default"] is not null))
                throw ApiException.BadRequest($"step {step.Index} (a subworkflow): its input step {inner.Index} ('{inner.InputName}') has no value: connect it, or give it in parameters");
    }

    private static bool Optional(WorkflowStep step) => step.ToolState["optional"] is JsonValue v && (v.TryGetValue<bool>(out var b) ? b : v.ToString() == "true");

    /// <summary>An input's value as stored: a dataset or collection by database id, or a parameter checked against its type.</summary>
    private static JsonNode Input(WorkflowStep step, JsonNode value, Lookups lookups, out DatasetRecord? dataset)
    {
        dataset = null;
        if (step.Type == WorkflowDefinition.ParameterInput)
        {
            var raw = value is JsonObject o && o.ContainsKey("value") ? o["value"] : value;
            var text = raw is JsonValue v && v.TryGetValue<string>(out var s) ? s : raw?.ToJsonString() ?? "";
            var type = step.ToolState["parameter_type"]?.ToString() ?? "text";
            bool valid = type switch
            {
                "integer" => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                "float" => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                "boolean" => bool.TryParse(text, out _),
                _ => text.Length <= 10_000,
            };
            return valid ? JsonValue.Create(text) : throw ApiException.BadRequest($"input step {step.Index} ('{step.InputName}'): '{text}' is not a {type}");
        }
        if (value is not JsonObject reference) throw ApiException.BadRequest($"input step {step.Index} ('{step.InputName}'): expected {{\"src\": \"hda\", \"id\": ...}}");
        var id = reference["id"]?.ToString();
        return (step.Type, reference["src"]?.ToString()) switch
        {
            (WorkflowDefinition.DataInput, "hda") => new JsonObject { ["src"] = "hda", ["id"] = (dataset = lookups.Dataset(id!)).Id },
            (WorkflowDefinition.CollectionInput, "hdca") => new JsonObject { ["src"] = "hdca", ["id"] = lookups.Collection(id!).Id },
            (WorkflowDefinition.DataInput, var src) => throw ApiException.BadRequest($"input step {step.Index} ('{step.InputName}') takes a dataset (src hda), not '{src}'"),
            (_, var src) => throw ApiException.BadRequest($"input step {step.Index} ('{step.InputName}') takes a collection (src hdca), not '{src}'"),
        };
    }

    /// <summary>BioBlend names the history "hist_id=ID", or gives a name for a new one; with neither, a new history named after the workflow.</summary>
    private HistoryRecord History(UserRecord user, WorkflowRecord workflow, JsonObject body, Lookups lookups)
    {
        var history = body["history"]?.ToString();
        var historyId = body["history_id"]?.ToString() ?? (history?.StartsWith("hist_id=", StringComparison.Ordinal) == true ? history["hist_id=".Length..] : null);
        if (historyId is not null) return lookups.History(historyId);
        return histories.Create(user, history is { Length: > 0 } name ? name : workflow.Name);
    }

    public static Dictionary<string, JsonNode?> Outputs(InvocationStepRecord step) => JsonSerializer.Deserialize<Dictionary<string, JsonNode?>>(step.Outputs) ?? [];
}
