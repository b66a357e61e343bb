using System.Globalization;
using System.Text.Json.Nodes;

namespace Ganymede.Server.Services;

/// <summary>
/// Where a step's input comes from: another step's output, by the output's name ("output" for an input step; a
/// subworkflow's outputs are its inner workflow outputs' labels). Into a subworkflow, <paramref name="InnerStep"/> is the
/// inner input step it feeds.
/// </summary>
public sealed record StepConnection(int Step, string OutputName, int? InnerStep = null);

/// <summary>A step output the workflow names (Galaxy's workflow_outputs), so invocations list it under its label.</summary>
public sealed record WorkflowOutput(string OutputName, string? Label);

/// <summary>
/// One step of a workflow. <see cref="ToolState"/> holds the step's values with Galaxy's JSON-in-strings undone
/// ("\"T\"" is "T"); <see cref="Connections"/> maps each input of the step to the outputs feeding it.
/// </summary>
public sealed record WorkflowStep(int Index, string Type, string? ToolId, string? ToolVersion, string? Label, string Name, string Annotation,
    JsonObject ToolState, IReadOnlyDictionary<string, IReadOnlyList<StepConnection>> Connections, IReadOnlyList<WorkflowOutput> Outputs, JsonNode? Position,
    WorkflowDefinition? Subworkflow = null)
{
    public bool IsInput => Type is WorkflowDefinition.DataInput or WorkflowDefinition.CollectionInput or WorkflowDefinition.ParameterInput;

    /// <summary>The name an input step goes by when invoking with inputs_by=name: its label, else the name in its state.</summary>
    public string InputName => Label ?? (ToolState["name"] is JsonValue v && v.TryGetValue<string>(out var n) ? n : Name);
}

/// <summary>
/// A workflow in Galaxy's .ga format (format-version 0.1), as BioBlend's import_workflow_dict sends it and
/// export_workflow_dict receives it: read into steps, checked (step numbers, connections to existing earlier-able
/// steps, no cycle), and written back. Unknown tools are allowed in, as Galaxy allows: such a workflow cannot run.
/// </summary>
public sealed record WorkflowDefinition(string Name, string Annotation, IReadOnlyList<WorkflowStep> Steps)
{
    public const string DataInput = "data_input", CollectionInput = "data_collection_input", ParameterInput = "parameter_input", ToolStep = "tool", Pause = "pause",
        Subworkflow = "subworkflow";
    private static readonly string[] Types = [DataInput, CollectionInput, ParameterInput, ToolStep, Pause, Subworkflow];
    private const int MaxSteps = 1000, MaxDepth = 4;

    public static WorkflowDefinition Parse(JsonObject ga)
    {
        var definition = Parse(ga, 1);
        return definition.StepCount() <= MaxSteps ? definition : throw ApiException.BadRequest($"a workflow has at most {MaxSteps} steps, its subworkflows' included");
    }

    private int StepCount() => Steps.Sum(s => 1 + (s.Subworkflow?.StepCount() ?? 0));

    /// <summary>The workflow a path of subworkflow steps leads to ("1/3": step 3 of the subworkflow at step 1); the whole for null.</summary>
    public WorkflowDefinition At(string? path) =>
        string.IsNullOrEmpty(path) ? this : path.Split('/').Aggregate(this, (d, i) => d.Steps[int.Parse(i, CultureInfo.InvariantCulture)].Subworkflow!);

    /// <summary>Every tool step, in subworkflows too.</summary>
    public IEnumerable<WorkflowStep> ToolSteps() => Steps.SelectMany(s => s.Subworkflow?.ToolSteps() ?? (s.Type == ToolStep ? [s] : []));

    /// <summary>The outputs a subworkflow offers the steps after it: its labelled workflow outputs, each with the inner step and output.</summary>
    public IReadOnlyDictionary<string, (int Step, string OutputName)> LabelledOutputs() =>
        Steps.SelectMany(s => s.Outputs.Where(o => o.Label is not null).Select(o => (o.Label!, (s.Index, o.OutputName)))).DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2);

    private static WorkflowDefinition Parse(JsonObject ga, int depth)
    {
        var name = ga["name"] is JsonValue n && n.TryGetValue<string>(out var given) && given.Trim().Length is > 0 and <= 255 ? given.Trim() : "Unnamed workflow";
        if (ga["steps"] is not JsonObject steps) throw ApiException.BadRequest("a workflow needs steps (Galaxy's .ga format: {\"steps\": {\"0\": {...}}})");
        if (steps.Count > MaxSteps) throw ApiException.BadRequest($"a workflow has at most {MaxSteps} steps");
        var parsed = new List<WorkflowStep>();
        foreach (var (key, node) in steps)
        {
            if (node is not JsonObject step) throw ApiException.BadRequest($"step {key}: expected an object");
            int index = step["id"] is JsonValue id && id.TryGetValue<int>(out var i) ? i : int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : throw ApiException.BadRequest($"step {key}: no step number");
            var type = Text(step, "type") ?? throw ApiException.BadRequest($"step {index}: no type");
            if (!Types.Contains(type)) throw ApiException.BadRequest($"step {index}: unknown step type '{type}' ({string.Join(", ", Types)})");
            var toolId = type == ToolStep ? Text(step, "tool_id") ?? throw ApiException.BadRequest($"step {index}: a tool step needs a tool_id") : null;
            WorkflowDefinition? inner = null;
            if (type == Subworkflow)
            {
                if (depth >= MaxDepth) throw ApiException.BadRequest($"step {index}: subworkflows nest at most {MaxDepth} deep");
                inner = Parse(step["subworkflow"] as JsonObject ?? throw ApiException.BadRequest($"step {index}: a subworkflow step needs its workflow (\"subworkflow\")"), depth + 1);
            }
            var connections = Connections(step["input_connections"], index);
            if (inner is not null) connections = IntoSubworkflow(connections, inner, index);
            parsed.Add(new WorkflowStep(index, type, toolId, Text(step, "tool_version"), Text(step, "label") is { Length: > 0 } l ? l : InputLabel(step, type),
                Text(step, "name") ?? type, Text(step, "annotation") ?? "", State(step["tool_state"], index), connections,
                Outputs(step["workflow_outputs"]), step["position"]?.DeepClone(), inner));
        }
        parsed.Sort((a, b) => a.Index.CompareTo(b.Index));
        if (!parsed.Select(s => s.Index).SequenceEqual(Enumerable.Range(0, parsed.Count)))
            throw ApiException.BadRequest("steps must be numbered 0, 1, 2, ... without gaps");
        var definition = new WorkflowDefinition(name, Text(ga, "annotation") ?? "", parsed);
        definition.Order();
        foreach (var step in parsed)
            foreach (var (input, sources) in step.Connections)
                foreach (var source in sources.Where(s => parsed[s.Step].Subworkflow is { } sub && !sub.LabelledOutputs().ContainsKey(s.OutputName)))
                    throw ApiException.BadRequest($"step {step.Index}: input '{input}' reads '{source.OutputName}' of the subworkflow at step {source.Step}, which labels no such output");
        return definition;
    }

    /// <summary>A subworkflow step's connections, each tied to the inner input step it feeds (by Galaxy's input_subworkflow_step_id, else by the input's name).</summary>
    private static Dictionary<string, IReadOnlyList<StepConnection>> IntoSubworkflow(Dictionary<string, IReadOnlyList<StepConnection>> connections, WorkflowDefinition inner, int index)
    {
        var tied = new Dictionary<string, IReadOnlyList<StepConnection>>();
        foreach (var (input, sources) in connections)
        {
            var list = new List<StepConnection>();
            foreach (var c in sources)
            {
                var target = c.InnerStep is { } i && i >= 0 && i < inner.Steps.Count ? inner.Steps[i] : inner.Steps.FirstOrDefault(s => s.IsInput && s.InputName == input);
                if (target is not { IsInput: true }) throw ApiException.BadRequest($"step {index}: the subworkflow has no input step '{input}'");
                list.Add(c with { InnerStep = target.Index });
            }
            tied[input] = list;
        }
        return tied;
    }

    /// <summary>The steps in an order where each comes after every step feeding it; throws for a connection to a missing step or a cycle.</summary>
    public IReadOnlyList<WorkflowStep> Order()
    {
        var ordered = new List<WorkflowStep>();
        var state = new int[Steps.Count]; // 0 unseen, 1 on the current path, 2 done
        void Visit(WorkflowStep step)
        {
            if (state[step.Index] == 2) return;
            if (state[step.Index] == 1) throw ApiException.BadRequest($"step {step.Index} depends on itself through its inputs (a cycle)");
            state[step.Index] = 1;
            foreach (var (input, sources) in step.Connections)
                foreach (var source in sources)
                {
                    if (source.Step < 0 || source.Step >= Steps.Count) throw ApiException.BadRequest($"step {step.Index}: input '{input}' is connected to step {source.Step}, which does not exist");
                    Visit(Steps[source.Step]);
                }
            state[step.Index] = 2;
            ordered.Add(step);
        }
        foreach (var step in Steps) Visit(step);
        return ordered;
    }

    /// <summary>The workflow as a .ga document, as Galaxy exports it.</summary>
    public JsonObject ToGa(string? uuid = null, int version = 0)
    {
        var steps = new JsonObject();
        foreach (var s in Steps)
        {
            var state = new JsonObject(s.ToolState.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)(p.Value is JsonValue v && v.TryGetValue<string>(out var text) ? text : p.Value?.ToJsonString()))));
            steps[s.Index.ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["id"] = s.Index, ["type"] = s.Type, ["tool_id"] = s.ToolId, ["tool_version"] = s.ToolVersion, ["name"] = s.Name, ["label"] = s.Label,
                ["annotation"] = s.Annotation, ["tool_state"] = state.ToJsonString(), ["position"] = s.Position?.DeepClone(),
                ["input_connections"] = new JsonObject(s.Connections.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)(c.Value.Count == 1
                    ? Connection(c.Value[0]) : new JsonArray(c.Value.Select(x => (JsonNode?)Connection(x)).ToArray()))))),
                ["inputs"] = s.IsInput ? new JsonArray(new JsonObject { ["name"] = s.InputName, ["description"] = "" }) : new JsonArray(),
                ["workflow_outputs"] = new JsonArray(s.Outputs.Select(o => (JsonNode?)new JsonObject { ["output_name"] = o.OutputName, ["label"] = o.Label }).ToArray()),
            };
            if (s.Subworkflow is { } inner) steps[s.Index.ToString(CultureInfo.InvariantCulture)]!["subworkflow"] = inner.ToGa();
        }
        return new JsonObject
        {
            ["a_galaxy_workflow"] = "true", ["format-version"] = "0.1", ["name"] = Name, ["annotation"] = Annotation, ["uuid"] = uuid,
            ["version"] = version, ["steps"] = steps,
        };
    }

    private static JsonObject Connection(StepConnection c)
    {
        var node = new JsonObject { ["id"] = c.Step, ["output_name"] = c.OutputName };
        if (c.InnerStep is { } inner) node["input_subworkflow_step_id"] = inner;
        return node;
    }

    /// <summary>Galaxy stores a step's values as a JSON string whose values may be JSON strings again: both undone.</summary>
    private static JsonObject State(JsonNode? node, int index)
    {
        var state = node switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            JsonValue v when v.TryGetValue<string>(out var text) => Parse(text, index) as JsonObject ?? throw ApiException.BadRequest($"step {index}: tool_state is not an object"),
            _ => throw ApiException.BadRequest($"step {index}: tool_state is not an object"),
        };
        foreach (var key in state.Select(p => p.Key).ToList())
            if (state[key] is JsonValue v && v.TryGetValue<string>(out var inner) && inner.Length > 0 && inner[0] is '"' or '{' or '[' or 'n' && Parse(inner, null) is { } decoded)
                state[key] = decoded.DeepClone();
        return state;
    }

    private static JsonNode? Parse(string text, int? index)
    {
        try { return JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) when (index is null) { return null; }
        catch (System.Text.Json.JsonException e) { throw ApiException.BadRequest($"step {index}: tool_state is not JSON ({e.Message})"); }
    }

    private static Dictionary<string, IReadOnlyList<StepConnection>> Connections(JsonNode? node, int index)
    {
        var connections = new Dictionary<string, IReadOnlyList<StepConnection>>();
        foreach (var (input, value) in node as JsonObject ?? [])
        {
            var list = (value is JsonArray a ? a.ToList() : [value]).Select(c => c is JsonObject o && o["id"] is JsonValue id && id.TryGetValue<int>(out var step)
                ? new StepConnection(step, Text(o, "output_name") ?? "output", o["input_subworkflow_step_id"] is JsonValue inner && inner.TryGetValue<int>(out var innerStep) ? innerStep : null)
                : throw ApiException.BadRequest($"step {index}: input '{input}' has a malformed connection")).ToList();
            connections[input] = list;
        }
        return connections;
    }

    private static List<WorkflowOutput> Outputs(JsonNode? node) =>
        (node as JsonArray ?? []).OfType<JsonObject>().Select(o => Text(o, "output_name") is { } name ? new WorkflowOutput(name, Text(o, "label")) : null).OfType<WorkflowOutput>().ToList();

    /// <summary>An input step's name from the .ga's inputs list, where older workflows keep it.</summary>
    private static string? InputLabel(JsonObject step, string type) =>
        type is DataInput or CollectionInput or ParameterInput && step["inputs"] is JsonArray { Count: > 0 } inputs && inputs[0] is JsonObject first ? Text(first, "name") : null;

    private static string? Text(JsonObject node, string name) => node[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
