using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Jobs;

/// <summary>What running a tool made: its jobs, their outputs, and the collections gathering the outputs of a mapped run.</summary>
public sealed record ToolRun(IReadOnlyList<JobRecord> Jobs, IReadOnlyList<(string Name, DatasetRecord Dataset)> Outputs,
    IReadOnlyList<(string Name, HistoryCollectionRecord Collection)> Collections);

/// <summary>
/// Running a tool on collections, as Galaxy does: a collection given to an input that takes several datasets passes its
/// datasets; given to an input that takes one, the tool runs once per element (all such collections with the same
/// elements), each run's outputs hidden and gathered, output by output, in a new collection with the elements' identifiers.
/// </summary>
public sealed class ToolRuns(JobSubmission submission, JobManager jobs, JobStore jobStore, DatasetStore datasets, CollectionStore collections,
    CollectionService collectionService, IdCodec ids)
{
    /// <param name="collection">looks up (and authorises) a collection the values name by its id.</param>
    /// <param name="queue">false leaves the jobs new until the caller has recorded them and calls <see cref="Queue"/>.</param>
    public ToolRun Run(UserRecord user, HistoryRecord history, Tool tool, JsonObject values, Func<string, HistoryCollectionRecord> collection, bool queue = true)
    {
        values = (JsonObject)values.DeepClone();
        var mapped = new List<(string Input, HistoryCollectionRecord Collection)>();
        foreach (var input in tool.Inputs.Where(i => i.Type == "data"))
        {
            var references = References(JobSubmission.Lookup(values, input.Name));
            var given = references.Where(r => r["src"]?.ToString() == "hdca").Select(r => collection(r["id"]?.ToString() ?? "")).ToList();
            if (given.Count == 0) continue;
            if (input.Multiple)
                Replace(values, input.Name, new JsonObject
                {
                    ["values"] = new JsonArray(references.SelectMany(r => r["src"]?.ToString() == "hdca"
                        ? collectionService.Datasets(collection(r["id"]!.ToString()).CollectionId).Select(d => (JsonNode)Hda(d.Dataset.Id))
                        : [r.DeepClone()]).ToArray()),
                });
            else if (references.Count == 1) mapped.Add((input.Name, given[0]));
            else throw ApiException.BadRequest($"input {input.Name} takes one dataset: give it one, or one collection to run the tool over");
        }
        if (mapped.Count > 0) return MapOver(user, history, tool, values, mapped, queue);
        var (job, outputs) = submission.Submit(user, history, tool, values, queue);
        if (queue) jobs.Wake();
        return new ToolRun([job], outputs, []);
    }

    /// <summary>Queues jobs a run left new, once the caller has recorded them.</summary>
    public void Queue(IEnumerable<JobRecord> started)
    {
        foreach (var job in started) submission.Queue(job);
        jobs.Wake();
    }

    /// <summary>One job per element of the mapped collections; if one cannot start, those started are cancelled and the refusal thrown.</summary>
    private ToolRun MapOver(UserRecord user, HistoryRecord history, Tool tool, JsonObject values, IReadOnlyList<(string Input, HistoryCollectionRecord Collection)> mapped, bool queue)
    {
        var elements = mapped.Select(m => collections.Elements(m.Collection.CollectionId)).ToList();
        if (elements.Any(e => e.Any(x => x.DatasetId is null))) throw ApiException.BadRequest("mapping a tool over a nested collection is not supported yet");
        var identifiers = elements[0].Select(e => e.ElementIdentifier).ToList();
        if (elements.Any(e => !e.Select(x => x.ElementIdentifier).SequenceEqual(identifiers)))
            throw ApiException.BadRequest($"the collections the tool is run over ({string.Join(", ", mapped.Select(m => m.Collection.Name))}) do not have the same elements");
        var started = new List<JobRecord>();
        var produced = new Dictionary<string, List<CollectionElementSpec>>();
        var outputs = new List<(string, DatasetRecord)>();
        try
        {
            for (int i = 0; i < identifiers.Count; i++)
            {
                var element = (JsonObject)values.DeepClone();
                foreach (var (input, list) in mapped.Select((m, k) => (m.Input, elements[k])))
                    Replace(element, input, Hda(list[i].DatasetId!.Value));
                var (job, made) = submission.Submit(user, history, tool, element, queue);
                started.Add(job);
                foreach (var (name, dataset) in made)
                {
                    datasets.Update(dataset.Id, null, visible: false, null);
                    (produced.TryGetValue(name, out var list) ? list : produced[name] = []).Add(new CollectionElementSpec(identifiers[i], dataset.Id, null));
                    outputs.Add((name, dataset));
                }
            }
        }
        catch (ApiException)
        {
            foreach (var job in started) if (jobStore.Get(job.Id) is { } current) jobs.Cancel(current);
            throw;
        }
        if (queue) jobs.Wake();
        var type = collections.CollectionType(mapped[0].Collection.CollectionId);
        var gathered = produced.Select(p => (p.Key, collections.Create(history.Id, user.Id, $"{tool.Name} on {mapped[0].Collection.Name}", new CollectionSpec(type, p.Value)))).ToList();
        return new ToolRun(started, outputs, gathered);
    }

    private JsonObject Hda(long id) => new() { ["src"] = "hda", ["id"] = ids.Encode(id) };

    private static List<JsonObject> References(JsonNode? node) => node switch
    {
        JsonArray list => list.SelectMany(References).ToList(),
        JsonObject o when o.TryGetPropertyValue("values", out var values) => References(values),
        JsonObject o => [o],
        _ => [],
    };

    /// <summary>Sets an input's value under its own name, dropping the prefixed key it may have come under ("queries_0|input2").</summary>
    private static void Replace(JsonObject values, string name, JsonNode value)
    {
        foreach (var key in values.Select(p => p.Key).Where(k => k.EndsWith("|" + name, StringComparison.Ordinal)).ToList()) values.Remove(key);
        values[name] = value;
    }
}
