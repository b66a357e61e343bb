using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Jobs;

/// <summary>
/// Turns a POST /api/tools request into a queued job: checks every input and parameter against the tool (a
/// missing input, a wrong type, someone else's dataset: a Galaxy-style error, nothing created), then creates the
/// job and its output datasets and queues it. Accepts Galaxy's forms of dataset values: {"src": "hda", "id"},
/// {"values": [...]}, lists of these, and the legacy "name|sub" keys. A request for resources (Galaxy's
/// `__job_resource` section) is checked against the maxima and kept with the parameters.
/// </summary>
public sealed class JobSubmission(JobStore jobs, DatasetStore datasets, IdCodec ids, Quotas quotas, FileStore files, JobHandler handler, ResourceRequests resources)
{
    /// <param name="queue">false leaves the job new, complete but not yet run, for a caller that records it first (a
    /// workflow step) and then <see cref="Queue(JobRecord)"/>s it.</param>
    public (JobRecord Job, IReadOnlyList<(string Name, DatasetRecord Dataset)> Outputs) Submit(UserRecord user, HistoryRecord history, Tool tool, JsonObject inputs,
        bool queue = true)
    {
        var dataInputs = new Dictionary<string, List<DatasetRecord>>();
        var parameters = new Dictionary<string, JsonNode?>();
        // Every input is checked, so a form can show each mistake by its field at once.
        var wrong = new Dictionary<string, string>();
        foreach (var input in tool.Inputs)
        {
            var value = Lookup(inputs, input.Name);
            try
            {
                if (input.Type == "data") dataInputs[input.Name] = Datasets(user, input, value);
                else parameters[input.Name] = Parameter(input, value);
            }
            catch (ApiException e) when (e.Status == 400) { wrong[input.Name] = e.Message; }
        }
        try
        {
            if (resources.Parse(tool, inputs) is { } request) parameters[ResourceRequests.Section] = request;
        }
        catch (ApiException e) when (e.Status == 400)
        {
            foreach (var (name, message) in e.Fields) wrong[name] = message;
        }
        if (wrong.Count > 0) throw ApiException.InvalidInputs(wrong);
        tool.Validate(parameters, dataInputs.ToDictionary(i => i.Key, i => (IReadOnlyList<string>)i.Value.Select(d => d.Extension).ToList()));
        quotas.CheckToolRun(user);
        DiskSpace.EnsureRoom(files.Jobs, 0);

        var job = jobs.Create(new JobRecord
        {
            UserId = user.Id, HistoryId = history.Id, ToolId = tool.Id, ToolVersion = tool.Version, State = JobStates.New, Handler = handler.Name,
            Params = JsonSerializer.Serialize(parameters), Inputs = JsonSerializer.Serialize(dataInputs.ToDictionary(i => i.Key, i => i.Value.Select(d => d.Id).ToList())),
        });
        var outputs = tool.Outputs.Select(o => (o.Name, datasets.Create(history.Id, user.Id, o.Label, o.Format == "auto" ? "data" : o.Format, DatasetStates.New, job.Id))).ToList();
        jobs.SetOutputs(job.Id, JsonSerializer.Serialize(outputs.ToDictionary(o => o.Name, o => o.Item2.Id)));
        if (queue) Queue(job.Id, outputs.Select(o => o.Item2.Id));
        return (jobs.Get(job.Id)!, outputs.Select(o => (o.Name, datasets.Get(o.Item2.Id)!)).ToList());
    }

    /// <summary>Hands a complete new job to the job loop: its outputs and it become queued (nothing if it is no longer new).</summary>
    public void Queue(JobRecord job) => Queue(job.Id, jobs.Outputs(job).Values);

    private void Queue(long jobId, IEnumerable<long> outputIds)
    {
        if (!jobs.Transition(jobId, JobStates.New, JobStates.Queued)) return;
        foreach (var id in outputIds) datasets.Transition(id, DatasetStates.New, DatasetStates.Queued);
    }

    /// <summary>The value for an input, under its name, its legacy flattened name ("cond|name"), or nested (21.01 format).</summary>
    internal static JsonNode? Lookup(JsonObject inputs, string name)
    {
        if (inputs.TryGetPropertyValue(name, out var direct)) return direct;
        foreach (var (key, value) in inputs)
            if (key.EndsWith("|" + name, StringComparison.Ordinal)) return value;
        foreach (var (_, value) in inputs)
            if (value is JsonObject nested && !nested.ContainsKey("src") && !nested.ContainsKey("values") && Lookup(nested, name) is { } found) return found;
        return null;
    }

    private List<DatasetRecord> Datasets(UserRecord user, ToolInput input, JsonNode? value)
    {
        var references = new List<JsonObject>();
        void Collect(JsonNode? node)
        {
            switch (node)
            {
                case null: break;
                case JsonArray list: foreach (var item in list) Collect(item); break;
                case JsonObject o when o.TryGetPropertyValue("values", out var values): Collect(values); break;
                case JsonObject o: references.Add(o); break;
                default: throw ApiException.BadRequest($"input {input.Name}: expected a dataset reference {{\"src\": \"hda\", \"id\": ...}}, got {node.ToJsonString()}");
            }
        }
        Collect(value);
        if (references.Count == 0 && !input.Optional) throw ApiException.MissingParameter($"input {input.Name} ({input.Label}) is required");
        if (references.Count > 1 && !input.Multiple) throw ApiException.BadRequest($"input {input.Name} takes one dataset, got {references.Count}");
        var result = new List<DatasetRecord>();
        foreach (var r in references)
        {
            var src = r["src"]?.ToString();
            if (src is not ("hda" or null)) throw ApiException.BadRequest($"input {input.Name}: source '{src}' is not supported here (use hda)");
            var idText = r["id"]?.ToString();
            if (!ids.TryDecode(idText, out var id)) throw ApiException.MalformedId("dataset", idText);
            var d = datasets.Get(id) ?? throw ApiException.NotFound($"input {input.Name}: dataset {idText} not found");
            if (d.UserId != user.Id) throw ApiException.Forbidden($"input {input.Name}: dataset {idText} belongs to another user");
            if (d.Deleted || d.State is DatasetStates.Error or DatasetStates.Discarded)
                throw ApiException.BadRequest($"input {input.Name}: dataset {idText} ({d.Name}) is {(d.Deleted ? "deleted" : d.State)}");
            if (input.Formats is { } formats && !formats.Contains(d.Extension) && d.State == DatasetStates.Ok)
                throw ApiException.BadRequest($"input {input.Name}: dataset {d.Name} has type {d.Extension}; the tool takes {string.Join(", ", formats)}");
            result.Add(d);
        }
        return result;
    }

    private static JsonNode? Parameter(ToolInput input, JsonNode? value)
    {
        if (value is null || value.GetValueKind() == JsonValueKind.Null || value.ToString() == "")
        {
            if (!input.Optional) throw ApiException.MissingParameter($"parameter {input.Name} ({input.Label}) is required");
            return input.Default?.DeepClone();
        }
        var text = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var parsed = Parse(input, text, inv);
        if (input.Type is "integer" or "float" && double.Parse(text, System.Globalization.NumberStyles.Float, inv) is var number)
        {
            if (number < input.Min) throw ApiException.BadRequest($"parameter {input.Name} ({input.Label}) must be at least {input.Min.Value.ToString(inv)}");
            if (number > input.Max) throw ApiException.BadRequest($"parameter {input.Name} ({input.Label}) must be at most {input.Max.Value.ToString(inv)}");
        }
        return parsed;
    }

    private static JsonNode Parse(ToolInput input, string text, IFormatProvider inv)
    {
        return input.Type switch
        {
            "integer" => long.TryParse(text, System.Globalization.NumberStyles.Integer, inv, out var l) ? l : throw ApiException.BadRequest($"parameter {input.Name}: '{text}' is not an integer"),
            "float" => double.TryParse(text, System.Globalization.NumberStyles.Float, inv, out var f) && double.IsFinite(f) ? f : throw ApiException.BadRequest($"parameter {input.Name}: '{text}' is not a number"),
            "boolean" => bool.TryParse(text, out var b) ? b : throw ApiException.BadRequest($"parameter {input.Name}: '{text}' is not true or false"),
            "select" => input.Options!.Contains(text) ? text : throw ApiException.BadRequest($"parameter {input.Name}: '{text}' is not one of {string.Join(", ", input.Options!)}"),
            _ => text.Contains('\0', StringComparison.Ordinal) ? throw ApiException.BadRequest($"parameter {input.Name} contains a NUL character") : text,
        };
    }
}
