using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Api;

/// <summary>
/// The JSON shapes Galaxy returns for histories, datasets and jobs (galaxy-api.md §5), with Galaxy's key names.
/// BioBlend reads a few keys itself (state, download_url, file_ext, name); clients read the rest.
/// </summary>
public sealed class GalaxyViews(IdCodec ids, HistoryStore histories)
{
    public string Id(long id) => ids.Encode(id);

    public Dictionary<string, object?> HistorySummary(HistoryRecord h) => Summary(h, histories.Totals(h.Id).Count);

    private Dictionary<string, object?> Summary(HistoryRecord h, long count) => new()
        {
            ["id"] = Id(h.Id), ["model_class"] = "History", ["name"] = h.Name, ["deleted"] = h.Deleted, ["purged"] = h.Purged,
            ["url"] = $"/api/histories/{Id(h.Id)}", ["published"] = h.Published, ["annotation"] = h.Annotation, ["tags"] = h.TagList,
            ["count"] = count, ["update_time"] = h.UpdateTime,
        };

    /// <summary>The detailed view, with the state derived from the datasets as Galaxy does (§4).</summary>
    public Dictionary<string, object?> History(HistoryRecord h, UserRecord owner)
    {
        var counts = histories.StateCounts(h.Id);
        var (count, size) = histories.Totals(h.Id);
        var view = Summary(h, count);
        var details = DatasetStates.All.ToDictionary(s => s, s => counts.GetValueOrDefault(s));
        view["state"] = HistoryState(counts);
        view["state_details"] = details;
        view["state_ids"] = DatasetStates.All.ToDictionary(s => s, s => Array.Empty<string>());
        view["contents_url"] = $"/api/histories/{Id(h.Id)}/contents";
        view["empty"] = count == 0;
        view["size"] = size;
        view["nice_size"] = NiceSize(size);
        view["user_id"] = Id(h.UserId);
        view["username"] = owner.Username;
        view["create_time"] = h.CreateTime;
        // A published history is accessible by link too, as in Galaxy.
        view["importable"] = h.Published || h.Importable;
        view["slug"] = h.Slug;
        view["username_and_slug"] = h.Slug is null ? null : $"u/{owner.Username}/h/{h.Slug}";
        view["genome_build"] = "?";
        return view;
    }

    public static string HistoryState(IReadOnlyDictionary<string, long> counts)
    {
        bool Any(params string[] states) => states.Any(s => counts.GetValueOrDefault(s) > 0);
        if (counts.Values.Sum() == 0) return "new";
        if (Any(DatasetStates.Running, DatasetStates.SettingMetadata, DatasetStates.Upload)) return "running";
        if (Any(DatasetStates.Queued, DatasetStates.New)) return "queued";
        if (Any(DatasetStates.Error, DatasetStates.FailedMetadata)) return "error";
        return "ok";
    }

    /// <summary>A history contents item (the "summary" view of GET .../contents). Each id is encoded once: listings hold thousands.</summary>
    public Dictionary<string, object?> ContentItem(DatasetRecord d)
    {
        string id = Id(d.Id), historyId = Id(d.HistoryId);
        return new()
        {
            ["id"] = id, ["type_id"] = $"dataset-{id}", ["name"] = d.Name, ["history_id"] = historyId, ["hid"] = d.Hid,
            ["history_content_type"] = "dataset", ["dataset_id"] = id, ["state"] = d.State, ["extension"] = d.Extension,
            ["deleted"] = d.Deleted, ["purged"] = d.Purged, ["visible"] = d.Visible, ["tags"] = d.TagList, ["type"] = "file",
            ["url"] = $"/api/histories/{historyId}/contents/{id}", ["create_time"] = d.CreateTime, ["update_time"] = d.UpdateTime,
        };
    }

    /// <summary>The detailed HDA; download_url has no query string, as BioBlend appends "?to_ext=".</summary>
    public Dictionary<string, object?> Dataset(DatasetRecord d)
    {
        var view = ContentItem(d);
        view["model_class"] = "HistoryDatasetAssociation";
        view["hda_ldda"] = "hda";
        view["file_ext"] = d.Extension;
        view["file_size"] = d.FileSize;
        view["genome_build"] = d.GenomeBuild;
        view["misc_info"] = d.Info ?? "";
        view["misc_blurb"] = d.State == DatasetStates.Ok ? d.Info ?? "" : d.State;
        view["data_type"] = $"galaxy.datatypes.{d.Extension}";
        view["peek"] = d.Peek;
        view["creating_job"] = d.CreatingJobId is { } job ? Id(job) : null;
        view["uuid"] = d.Uuid;
        view["accessible"] = !d.Purged;
        view["download_url"] = $"{view["url"]}/display";
        view["annotation"] = d.Annotation;
        view["api_type"] = "file";
        view["created_from_basename"] = d.CreatedFromBasename;
        view["rerunnable"] = false;
        view["resubmitted"] = false;
        view["display_apps"] = Array.Empty<object>();
        view["display_types"] = Array.Empty<object>();
        view["validated_state"] = "unknown";
        view["meta_files"] = Array.Empty<object>();
        view["hashes"] = d.Sha256 is null ? Array.Empty<object>() : new object[] { new Dictionary<string, object?> { ["hash_function"] = "SHA-256", ["hash_value"] = d.Sha256 } };
        view["sources"] = Array.Empty<object>();
        var metadata = d.Metadata is null ? null : JsonNode.Parse(d.Metadata) as JsonObject;
        view["metadata"] = metadata;
        foreach (var (key, value) in metadata ?? []) view["metadata_" + key] = value?.DeepClone();
        view["metadata_dbkey"] = d.GenomeBuild;
        return view;
    }

    public Dictionary<string, object?> JobSummary(JobRecord j) => new()
    {
        ["id"] = Id(j.Id), ["model_class"] = "Job", ["tool_id"] = j.ToolId, ["tool_version"] = j.ToolVersion, ["history_id"] = Id(j.HistoryId),
        ["state"] = j.State, ["exit_code"] = j.ExitCode, ["create_time"] = j.CreateTime, ["update_time"] = j.UpdateTime,
    };

    /// <summary>A job in a list; for an administrator with where it runs, as Galaxy shows it to them (its handler and the runner's id).</summary>
    public Dictionary<string, object?> JobSummary(JobRecord j, bool forAdmin)
    {
        var view = JobSummary(j);
        if (forAdmin) (view["handler"], view["external_id"]) = (j.Handler, j.ExternalId);
        return view;
    }

    public Dictionary<string, object?> Job(JobRecord j, Func<long, string?> datasetUuid)
    {
        var view = JobSummary(j);
        view["galaxy_version"] = "23.1";
        view["params"] = JsonNode.Parse(j.Params);
        view["inputs"] = JobInputs(j).ToDictionary(i => i.Name, i => Reference(i.Id, datasetUuid));
        view["outputs"] = JobOutputs(j).ToDictionary(o => o.Key, o => Reference(o.Value, datasetUuid));
        view["output_collections"] = new Dictionary<string, object>();
        view["info"] = j.Info;
        view["progress"] = j.Progress is null ? null : JsonNode.Parse(j.Progress);
        return view;
    }

    private Dictionary<string, object?> Reference(long id, Func<long, string?> uuid) => new() { ["id"] = Id(id), ["src"] = "hda", ["uuid"] = uuid(id) };

    /// <summary>Inputs as Galaxy names them: the name for the first dataset, name2, name3... for more.</summary>
    public static IEnumerable<(string Name, long Id)> JobInputs(JobRecord j) =>
        JsonSerializer.Deserialize<Dictionary<string, List<long>>>(j.Inputs)!
            .SelectMany(p => p.Value.Select((id, i) => (i == 0 ? p.Key : p.Key + (i + 1).ToString(CultureInfo.InvariantCulture), id)));

    /// <summary>A job's parameters as text, as pages show them: strings as they are, anything else as JSON.</summary>
    public static Dictionary<string, string> JobParameters(JobRecord j) =>
        (JsonSerializer.Deserialize<Dictionary<string, JsonNode?>>(j.Params) ?? []).ToDictionary(p => p.Key,
            p => p.Value is JsonValue v && v.TryGetValue<string>(out var text) ? text : p.Value?.ToJsonString() ?? "");

    public static Dictionary<string, long> JobOutputs(JobRecord j) => JsonSerializer.Deserialize<Dictionary<string, long>>(j.Outputs)!;

    public static string NiceSize(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1 << 20 => $"{bytes / 1024.0:F1} KB",
        < 1 << 30 => $"{bytes / (double)(1 << 20):F1} MB",
        _ => $"{bytes / (double)(1 << 30):F1} GB",
    };

    /// <summary>The run_tool / upload response shape.</summary>
    public Dictionary<string, object?> ToolResponse(IEnumerable<(string Name, DatasetRecord Dataset)> outputs, IEnumerable<JobRecord> jobs) => new()
    {
        ["outputs"] = outputs.Select(o => { var v = Dataset(o.Dataset); v["output_name"] = o.Name; return v; }).ToList(),
        ["output_collections"] = Array.Empty<object>(),
        ["jobs"] = jobs.Select(JobSummary).ToList(),
        ["implicit_collections"] = Array.Empty<object>(),
        ["produces_entry_points"] = false,
    };
}
