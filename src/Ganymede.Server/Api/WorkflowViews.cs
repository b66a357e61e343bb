using System.Globalization;
using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Api;

/// <summary>The JSON shapes Galaxy returns for workflows, invocations and their steps.</summary>
public sealed class WorkflowViews(IdCodec ids, WorkflowStore workflows, WorkflowService rules, UserStore users, JobStore jobs, GalaxyViews views)
{
    public Dictionary<string, object?> Summary(WorkflowRecord w) => Summary(w, rules.Definition(w));

    private Dictionary<string, object?> Summary(WorkflowRecord w, WorkflowDefinition definition)
    {
        var id = ids.Encode(w.Id);
        return new()
        {
            ["id"] = id, ["model_class"] = "StoredWorkflow", ["name"] = w.Name, ["url"] = $"/api/workflows/{id}", ["published"] = w.Published,
            ["importable"] = w.Published, ["deleted"] = w.Deleted, ["hidden"] = false, ["owner"] = users.Get(w.UserId)?.Username, ["tags"] = Array.Empty<string>(),
            ["annotations"] = w.Annotation.Length == 0 ? Array.Empty<string>() : new[] { w.Annotation }, ["latest_workflow_uuid"] = w.Uuid,
            ["number_of_steps"] = definition.Steps.Count, ["show_in_tool_panel"] = false, ["create_time"] = w.CreateTime, ["update_time"] = w.UpdateTime,
        };
    }

    /// <summary>show_workflow: the summary with the steps (by number, each with where its inputs come from) and the inputs.</summary>
    public Dictionary<string, object?> Detail(WorkflowRecord w, int? version)
    {
        var definition = rules.Definition(w, version);
        var view = Summary(w, version is null ? definition : rules.Definition(w));
        view["name"] = definition.Name;
        view["version"] = version ?? w.LatestVersion;
        view["annotation"] = definition.Annotation;
        view["steps"] = definition.Steps.ToDictionary(s => s.Index.ToString(CultureInfo.InvariantCulture), s => (object?)new Dictionary<string, object?>
        {
            ["id"] = s.Index, ["type"] = s.Type, ["tool_id"] = s.ToolId, ["tool_version"] = s.ToolVersion, ["annotation"] = s.Annotation, ["label"] = s.Label,
            ["tool_inputs"] = s.ToolState.DeepClone(), ["workflow_outputs"] = s.Outputs.Select(o => new Dictionary<string, object?> { ["output_name"] = o.OutputName, ["label"] = o.Label }).ToList(),
            ["input_steps"] = s.Connections.ToDictionary(c => c.Key, c => (object?)new Dictionary<string, object?> { ["source_step"] = c.Value[0].Step, ["step_output"] = c.Value[0].OutputName }),
        });
        view["inputs"] = definition.Steps.Where(s => s.IsInput).ToDictionary(s => s.Index.ToString(CultureInfo.InvariantCulture),
            s => (object?)new Dictionary<string, object?> { ["label"] = s.InputName, ["value"] = "", ["uuid"] = null });
        return view;
    }

    public Dictionary<string, object?> Invocation(InvocationRecord i, bool withSteps = true)
    {
        var definition = rules.Definition(i);
        var steps = workflows.Steps(i.Id);
        var inputs = JsonNode.Parse(i.Inputs)!.AsObject();
        var view = new Dictionary<string, object?>
        {
            ["id"] = ids.Encode(i.Id), ["model_class"] = "WorkflowInvocation", ["workflow_id"] = ids.Encode(i.WorkflowId), ["history_id"] = ids.Encode(i.HistoryId),
            ["state"] = i.State, ["uuid"] = i.Uuid, ["create_time"] = i.CreateTime, ["update_time"] = i.UpdateTime,
            ["messages"] = i.Messages is null ? new JsonArray() : JsonNode.Parse(i.Messages),
        };
        if (!withSteps) return view;
        view["steps"] = steps.Select(s => Step(s, definition)).ToList();
        view["inputs"] = definition.Steps.Where(s => s.Type != WorkflowDefinition.ParameterInput && inputs[Key(s.Index)] is JsonObject)
            .ToDictionary(s => Key(s.Index), s => (object?)Reference(inputs[Key(s.Index)]!.AsObject(), s.InputName));
        view["input_step_parameters"] = definition.Steps.Where(s => s.Type == WorkflowDefinition.ParameterInput && inputs[Key(s.Index)] is not null)
            .ToDictionary(s => Key(s.Index), s => (object?)new Dictionary<string, object?> { ["label"] = s.InputName, ["parameter_value"] = inputs[Key(s.Index)]!.ToString() });
        // Outputs the workflow labels, by label, once their step has run.
        var (outputs, outputCollections) = (new Dictionary<string, object?>(), new Dictionary<string, object?>());
        foreach (var step in definition.Steps)
            foreach (var output in step.Outputs.Where(o => o.Label is not null))
                if (steps.FirstOrDefault(s => s.OrderIndex == step.Index) is { } reached && InvocationService.Outputs(reached).GetValueOrDefault(output.OutputName) is JsonObject r)
                    (r["src"]?.ToString() == "hdca" ? outputCollections : outputs)[output.Label!] = Reference(r, null);
        view["outputs"] = outputs;
        view["output_collections"] = outputCollections;
        view["output_values"] = new Dictionary<string, object?>();
        return view;
    }

    public Dictionary<string, object?> Step(InvocationStepRecord s, WorkflowDefinition definition)
    {
        var step = definition.Steps[s.OrderIndex];
        var stepJobs = workflows.StepJobs(s.Id);
        return new()
        {
            ["id"] = ids.Encode(s.Id), ["model_class"] = "WorkflowInvocationStep", ["order_index"] = s.OrderIndex, ["workflow_step_id"] = ids.Encode(s.OrderIndex),
            ["workflow_step_label"] = step.Label, ["workflow_step_uuid"] = null, ["state"] = s.State, ["action"] = s.Action, ["info"] = s.Info,
            ["job_id"] = stepJobs is [var job] ? ids.Encode(job) : null, ["update_time"] = s.UpdateTime,
            ["subworkflow_invocation_id"] = step.Subworkflow is null ? null : workflows.SubInvocation(s.Id) is { } child ? ids.Encode(child.Id) : null,
            ["jobs"] = stepJobs.Select(jobs.Get).OfType<JobRecord>().Select(views.JobSummary).ToList(),
            ["outputs"] = InvocationService.Outputs(s).Where(o => o.Value is JsonObject r && r["src"]?.ToString() == "hda").ToDictionary(o => o.Key, o => (object?)Reference(o.Value!.AsObject(), null)),
            ["output_collections"] = InvocationService.Outputs(s).Where(o => o.Value is JsonObject r && r["src"]?.ToString() == "hdca").ToDictionary(o => o.Key, o => (object?)Reference(o.Value!.AsObject(), null)),
        };
    }

    /// <summary>Galaxy's job state summary of an invocation, or of each of its tool steps.</summary>
    public Dictionary<string, object?> JobsSummary(string id, string model, IEnumerable<long> jobIds) => new()
    {
        ["id"] = id, ["model"] = model, ["populated_state"] = "ok",
        ["states"] = jobIds.Select(jobs.Get).OfType<JobRecord>().GroupBy(j => j.State).ToDictionary(g => g.Key, g => g.Count()),
    };

    private Dictionary<string, object?> Reference(JsonObject r, string? label) => new()
    {
        ["src"] = r["src"]?.ToString(), ["id"] = ids.Encode((long)r["id"]!), ["label"] = label,
    };

    private static string Key(int index) => index.ToString(CultureInfo.InvariantCulture);
}
