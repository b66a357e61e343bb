using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Jobs;

/// <summary>
/// Advances invocations, each step when what feeds it is ready: an input step at once, a tool step as a job once every
/// dataset it reads is finished, a pause when a person decides, a subworkflow as an invocation of its own whose labelled
/// outputs become the step's. A step whose input failed fails with the reason, and so do the steps after it; the others
/// go on. Everything is in the database, so a restarted server carries on where it stopped, and the one step row per
/// (invocation, step), written before the step's jobs are queued, means no step runs twice. Of several servers on one
/// database, the one that leads (<see cref="JobHandler.Leads"/>) schedules, holding a lock per invocation while it
/// advances it; the others' invocations are advanced there within a second.
/// </summary>
public sealed class WorkflowScheduler(WorkflowStore workflows, WorkflowService workflowService, ToolRuns toolRuns, JobStore jobStore,
    DatasetStore datasets, CollectionStore collections, CollectionService collectionService, HistoryStore histories, UserStore users, ToolBox tools, IdCodec ids, JobHandler handler, ILogger<WorkflowScheduler> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Asks for a pass now (after an invocation or a decision) instead of at the next tick.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var invocation in handler.Leads ? workflows.Unfinished() : [])
            {
                // Two servers may both believe they lead for a moment (a heartbeat late, not dead): only one advances
                // an invocation at a time, and each reads its steps afresh under the lock.
                using var advancing = workflows.LockForScheduling(invocation.Id);
                if (advancing is null) continue;
                try { Advance(invocation); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "scheduling invocation {Invocation} failed", invocation.Id);
                    workflows.Transition(invocation.Id, ["new", "ready"], "failed", Messages([("scheduling_failed", null, "the server could not schedule it; its log has the details")]));
                }
            }
            try { await _wake.WaitAsync(Interval, stop); }
            catch (OperationCanceledException) { return; }
        }
    }

    public void Advance(InvocationRecord invocation)
    {
        var definition = workflowService.Definition(invocation);
        var reached = workflows.Steps(invocation.Id).ToDictionary(s => s.OrderIndex);
        foreach (var row in reached.Values.Where(r => r.State == "ready" && definition.Steps[r.OrderIndex].Subworkflow is not null).ToList())
            reached[row.OrderIndex] = FinishSubworkflow(row, definition.Steps[row.OrderIndex].Subworkflow!);
        var inputs = JsonNode.Parse(invocation.Inputs)!.AsObject();
        var parameters = JsonNode.Parse(invocation.Parameters) as JsonObject ?? [];
        foreach (var step in definition.Order())
        {
            if (reached.ContainsKey(step.Index)) continue;
            var made = Reach(invocation, step, reached, inputs, parameters);
            if (made is not null) reached[step.Index] = made;
        }
        if (reached.Count < definition.Steps.Count || reached.Values.Any(s => s.State == "ready"))
        {
            workflows.Transition(invocation.Id, ["new"], "ready");
            return;
        }
        var failed = reached.Values.Where(s => s.State == "failed").OrderBy(s => s.OrderIndex).ToList();
        if (reached.Values.Any(s => s.State == "cancelled")) workflows.Transition(invocation.Id, ["new", "ready"], "cancelled");
        else if (failed.Count > 0) workflows.Transition(invocation.Id, ["new", "ready"], "failed", Messages(failed.Select(s => ("step_failed", (int?)s.OrderIndex, s.Info ?? "failed"))));
        else workflows.Transition(invocation.Id, ["new", "ready"], "scheduled");
    }

    /// <summary>Makes the step's row when it can go (or must fail); null while it waits.</summary>
    private InvocationStepRecord? Reach(InvocationRecord invocation, WorkflowStep step, Dictionary<int, InvocationStepRecord> reached, JsonObject inputs, JsonObject parameters)
    {
        string key = step.Index.ToString(CultureInfo.InvariantCulture);
        if (step.IsInput)
        {
            var value = inputs[key]?.DeepClone() ?? (step.ToolState["default"]?.DeepClone());
            return workflows.AddStep(invocation.Id, step.Index, "scheduled", [], new JsonObject { ["output"] = value }.ToJsonString(), null);
        }
        // What feeds the step: each connection's value, once its step is reached and its dataset finished.
        var fed = new Dictionary<string, List<JsonNode>>();
        foreach (var (input, sources) in step.Connections)
        {
            foreach (var source in sources)
            {
                if (!reached.TryGetValue(source.Step, out var from) || from.State == "ready") return null;
                if (from.State is "failed" or "cancelled") return Fail(invocation, step, $"step {source.Step}, which it reads, {from.State}");
                var value = InvocationService.Outputs(from).GetValueOrDefault(source.OutputName);
                if (value is null)
                {
                    var (found, waiting, missing) = FoundOutput(from, source.OutputName);
                    if (waiting) return null;
                    if (found is null) return Fail(invocation, step, $"step {source.Step} {missing} '{source.OutputName}'");
                    value = found;
                }
                if (value is JsonObject { } reference && reference["src"]?.ToString() == "hda")
                {
                    var dataset = datasets.Get((long)reference["id"]!)!;
                    if (!DatasetStates.Terminal.Contains(dataset.State)) return null;
                    if (dataset.State is not (DatasetStates.Ok or DatasetStates.Empty))
                        return Fail(invocation, step, $"its input '{input}' ({dataset.Name}, from step {source.Step}) is {dataset.State}");
                }
                else if (value is JsonObject other && other["src"]?.ToString() == "hdca")
                {
                    var hdca = collections.Get((long)other["id"]!)!;
                    var elements = collectionService.Datasets(hdca.CollectionId).Select(e => e.Dataset).ToList();
                    if (elements.Any(d => !DatasetStates.Terminal.Contains(d.State))) return null;
                    if (elements.FirstOrDefault(d => d.State is not (DatasetStates.Ok or DatasetStates.Empty)) is { } bad)
                        return Fail(invocation, step, $"its input '{input}' ({hdca.Name}, from step {source.Step}) holds {bad.Name}, which is {bad.State}");
                }
                (fed.TryGetValue(input, out var list) ? list : fed[input] = []).Add(value.DeepClone());
            }
        }
        if (step.Subworkflow is not null)
        {
            var (given, values) = InvocationService.SubworkflowValues(step, parameters[key] as JsonObject);
            foreach (var (input, sources) in step.Connections) given[sources[0].InnerStep!.Value.ToString(CultureInfo.InvariantCulture)] = fed[input][0].DeepClone();
            var path = invocation.Path is null ? key : $"{invocation.Path}/{key}";
            var row = workflows.AddSubworkflowStep(invocation, step.Index, path, given.ToJsonString(), values.ToJsonString());
            Wake();
            return row;
        }
        if (step.Type == WorkflowDefinition.Pause)
            return workflows.AddStep(invocation.Id, step.Index, "ready", [], new JsonObject { ["output"] = fed.Values.FirstOrDefault()?.FirstOrDefault()?.DeepClone() }.ToJsonString(), null);
        // Values for the step: by its number, or (Galaxy's older form) by its tool, for every step of that tool.
        return RunTool(invocation, step, fed, parameters[key] as JsonObject ?? parameters[step.ToolId ?? ""] as JsonObject);
    }

    private InvocationStepRecord RunTool(InvocationRecord invocation, WorkflowStep step, Dictionary<string, List<JsonNode>> fed, JsonObject? overrides)
    {
        var tool = tools.Find(step.ToolId!);
        if (tool is null) return Fail(invocation, step, $"this server has no tool '{step.ToolId}'");
        var values = new JsonObject();
        foreach (var (name, value) in step.ToolState)
            if (!name.StartsWith("__", StringComparison.Ordinal) && !(value is JsonValue v && v.TryGetValue<string>(out var s) && s == "null")) values[name] = value?.DeepClone();
        foreach (var (name, value) in overrides ?? []) values[name] = value?.DeepClone();
        foreach (var (input, list) in fed) values[input] = Value(list);
        var user = users.Get(invocation.UserId)!;
        var history = histories.Get(invocation.HistoryId)!;
        try
        {
            // A collection where the tool takes one dataset: the tool runs once per element (Galaxy's mapping over).
            var run = toolRuns.Run(user, history, tool, values, id => collections.Get(ids.TryDecode(id, out var n) ? n : -1) ?? throw ApiException.NotFound($"collection {id} not found"),
                queue: false);
            var produced = run.Collections.Count > 0
                ? new JsonObject(run.Collections.Select(c => KeyValuePair.Create(c.Name, (JsonNode?)new JsonObject { ["src"] = "hdca", ["id"] = c.Collection.Id })))
                : new JsonObject(run.Outputs.Select(o => KeyValuePair.Create(o.Name, (JsonNode?)new JsonObject { ["src"] = "hda", ["id"] = o.Dataset.Id })));
            // The step is recorded before its jobs may run. A server that stops in between leaves new jobs that never
            // run: unrecorded ones fail and the step is made again; recorded ones are queued by whoever takes them over.
            var row = workflows.AddStep(invocation.Id, step.Index, "scheduled", run.Jobs.Select(j => j.Id), produced.ToJsonString(), null);
            toolRuns.Queue(run.Jobs);
            return row;
        }
        catch (ApiException e)
        {
            return Fail(invocation, step, e.Message);
        }
    }

    /// <summary>
    /// A subworkflow step whose invocation has ended: scheduled, it gives the step the subworkflow's labelled outputs;
    /// failed or cancelled, it fails the step with the reason. Until then the step stays ready.
    /// </summary>
    private InvocationStepRecord FinishSubworkflow(InvocationStepRecord row, WorkflowDefinition subworkflow)
    {
        var child = workflows.SubInvocation(row.Id)!;
        if (child.State is "new" or "ready") return row;
        if (child.State == "scheduled")
        {
            var inner = workflows.Steps(child.Id).ToDictionary(s => s.OrderIndex);
            var outputs = new JsonObject();
            foreach (var (label, (step, output)) in subworkflow.LabelledOutputs())
                if (inner.TryGetValue(step, out var made) && InvocationService.Outputs(made).GetValueOrDefault(output) is { } value) outputs[label] = value.DeepClone();
            workflows.UpdateStep(row.Id, "scheduled", null, outputs.ToJsonString());
        }
        else
        {
            var why = child.Messages is { } messages ? string.Join("; ", JsonNode.Parse(messages)!.AsArray().Select(m => m?["details"]?.ToString())) : child.State;
            workflows.UpdateStep(row.Id, "failed", null, "{}", $"its subworkflow {child.State}: {why}");
        }
        return workflows.GetStep(row.Id)!;
    }

    /// <summary>
    /// An output that a tool finds only when its job has ended (a script's files in outputs/, its H5 files and models):
    /// known once the step's one job has finished; why not otherwise.
    /// </summary>
    private (JsonNode? Value, bool Waiting, string Missing) FoundOutput(InvocationStepRecord step, string name)
    {
        if (workflows.StepJobs(step.Id) is not [var jobId] || jobStore.Get(jobId) is not { } job) return (null, false, "has no output");
        if (!JobStates.IsTerminal(job.State)) return (null, true, "");
        return jobStore.Outputs(job).TryGetValue(name, out var id) ? (new JsonObject { ["src"] = "hda", ["id"] = id }, false, "")
            : (null, false, job.State == JobStates.Ok ? "made no output" : $"ended in {job.State} without its output");
    }

    /// <summary>A step input's value for the tool: datasets and collections as references by encoded id (several in a list), anything else (a parameter) as it is.</summary>
    private JsonNode? Value(List<JsonNode> list) =>
        list.All(v => v is JsonObject r && r["src"]?.ToString() is "hda" or "hdca") ? new JsonObject
        {
            ["values"] = new JsonArray(list.Select(v => (JsonNode?)new JsonObject { ["src"] = v["src"]!.ToString(), ["id"] = ids.Encode((long)v["id"]!) }).ToArray()),
        } : list[0].DeepClone();

    private InvocationStepRecord Fail(InvocationRecord invocation, WorkflowStep step, string reason) =>
        workflows.AddStep(invocation.Id, step.Index, "failed", [], "{}", $"step {step.Index} ({step.Label ?? step.ToolId ?? step.Type}) failed: {reason}");

    private static string Messages(IEnumerable<(string Reason, int? Step, string Details)> messages) =>
        JsonSerializer.Serialize(messages.Select(m => new Dictionary<string, object?> { ["reason"] = m.Reason, ["workflow_step_id"] = m.Step, ["details"] = m.Details }));
}
