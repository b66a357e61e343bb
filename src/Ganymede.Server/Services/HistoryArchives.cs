using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Services;

/// <summary>What an export includes and how it is packed (BioBlend's export_history parameters).</summary>
public sealed record ExportOptions(bool Gzip, bool IncludeHidden, bool IncludeDeleted)
{
    public override string ToString() => string.Join(',', new[] { Gzip ? "gzip" : "", IncludeHidden ? "hidden" : "", IncludeDeleted ? "deleted" : "" }.Where(s => s.Length > 0));
}

/// <summary>
/// Histories to and from Galaxy's history archive (<see cref="GalaxyArchive"/>). An export is written in the
/// background, to a temporary name then renamed, and kept: asking again for an unchanged history gets the same
/// archive. An import re-describes every file in the sandbox (<see cref="FileInspector"/>) rather than trusting the
/// archive's metadata, and rebuilds the jobs that link its datasets, so provenance survives the round trip.
/// </summary>
public sealed class HistoryArchives(HistoryStore histories, DatasetStore datasets, CollectionStore collections, JobStore jobs, HistoryExportStore exports, FileStore files,
    FileInspector inspector, Quotas quotas, HistoryService historyService, IdCodec ids, ServerOptions options, ILogger<HistoryArchives> log)
{
    private readonly ConcurrentDictionary<long, Task> _writing = new();

    /// <summary>The export of the history as it is now with these options: a finished one, or one being written (started here if none is).</summary>
    public HistoryExportRecord Export(UserRecord user, HistoryRecord history, ExportOptions options)
    {
        var version = Version(history);
        var latest = exports.List(history.Id).FirstOrDefault(e => e.Options == options.ToString() && e.Version == version && e.State != "error");
        if (latest is { State: "ok" } && File.Exists(files.ExportPath(latest.Id))) return latest;
        if (latest is { State: "new" } && _writing.ContainsKey(latest.Id)) return latest;
        // None, or one a stopped server left unfinished: start one.
        var export = exports.Create(history.Id, user.Id, options.ToString(), version);
        _writing[export.Id] = Task.Run(() => Write(export, history, options));
        return export;
    }

    public string FileOf(HistoryExportRecord export) => files.ExportPath(export.Id);

    /// <summary>Whether the export still describes the history (nothing added or changed since).</summary>
    public bool UpToDate(HistoryExportRecord export) => histories.Get(export.HistoryId) is { } h && Version(h) == export.Version;

    /// <summary>Imports an archive (a file the caller owns, removed here) as a new history of the user's.</summary>
    public HistoryRecord Import(UserRecord user, string archive)
    {
        GalaxyArchive.Contents contents;
        try { contents = GalaxyArchive.Read(archive, files, options.MaxUploadBytes); }
        finally { File.Delete(archive); }
        try
        {
            quotas.CheckStorage(user, contents.Files.Values.Sum(p => new FileInfo(p).Length));
            var attributes = (JsonObject)contents.Attributes[GalaxyArchive.HistoryAttributes]!;
            var history = historyService.Create(user, Text(attributes, "name") ?? "Imported history");
            historyService.Update(history, null, Text(attributes, "annotation"), null, null,
                attributes["tags"] is JsonArray tags ? tags.Select(t => t?.ToString() ?? "").Where(t => t.Length > 0).ToList() : null);
            var imported = ImportDatasets(user, history, contents);
            ImportJobs(user, history, contents.Attributes.GetValueOrDefault(GalaxyArchive.JobAttributes) as JsonArray, imported);
            ImportCollections(user, history, contents.Attributes.GetValueOrDefault(GalaxyArchive.CollectionAttributes) as JsonArray, imported);
            return histories.Get(history.Id)!;
        }
        finally
        {
            GalaxyArchive.Delete(contents.Files);
        }
    }

    /// <summary>Each dataset whose file is in the archive, in hid order; returns the archive's id of each to its new id.</summary>
    private Dictionary<string, long> ImportDatasets(UserRecord user, HistoryRecord history, GalaxyArchive.Contents contents)
    {
        var imported = new Dictionary<string, long>();
        var list = (contents.Attributes.GetValueOrDefault(GalaxyArchive.DatasetAttributes) as JsonArray ?? []).OfType<JsonObject>()
            .OrderBy(d => d["hid"] is JsonValue v && v.TryGetValue<long>(out var hid) ? hid : long.MaxValue);
        foreach (var attrs in list)
        {
            if (Text(attrs, "file_name") is not { } fileName || !contents.Files.TryGetValue(fileName, out var path)) continue;
            var name = Text(attrs, "name") is { Length: > 0 and <= 255 } n && !n.Any(char.IsControl) ? n : Path.GetFileName(fileName);
            var visible = attrs["visible"] is not JsonValue vis || !vis.TryGetValue<bool>(out var shown) || shown;
            var dataset = datasets.Create(history.Id, user.Id, name, "data", DatasetStates.Upload, basename: name, visible: visible);
            try
            {
                var facts = inspector.Inspect(path, name, Text(attrs, "extension"), new FileInfo(path).Length, FileStore.Sha256Of(path));
                // Linked, not moved: several datasets may name one file (copies within the history).
                files.Share(path, files.DatasetPath(dataset.Id));
                var info = Text(attrs, "info")?.Trim() is { Length: > 0 and <= 10_000 } given ? given : null;
                datasets.Complete(dataset.Id, facts, facts.Size == 0 ? DatasetStates.Empty : DatasetStates.Ok, info);
                if (attrs["deleted"] is JsonValue del && del.TryGetValue<bool>(out var deleted) && deleted) datasets.Update(dataset.Id, null, null, deleted: true);
                var tags = (attrs["tags"] as JsonArray ?? []).Select(t => t?.ToString() ?? "").Where(t => t.Length is > 0 and <= 255 && !t.Contains(',') && !t.Any(char.IsControl)).Distinct().ToList();
                datasets.Describe(dataset.Id, Text(attrs, "annotation") is { Length: <= 10_000 } a ? a : null,
                    Text(attrs, "genome_build") is { Length: > 0 and <= 64 } g && !g.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? g : null, null,
                    tags.Count > 0 ? JsonSerializer.Serialize(tags) : null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                datasets.SetState(dataset.Id, DatasetStates.Error, "import failed: " + e.Message);
                throw;
            }
            if (Text(attrs, "encoded_id") is { } archiveId) imported[archiveId] = dataset.Id;
        }
        return imported;
    }

    /// <summary>The jobs that made imported datasets, as finished records linking inputs to outputs (they do not run again).</summary>
    private void ImportJobs(UserRecord user, HistoryRecord history, JsonArray? list, Dictionary<string, long> imported)
    {
        foreach (var attrs in (list ?? []).OfType<JsonObject>())
        {
            var outputs = Mapping(attrs["output_dataset_mapping"], imported).ToDictionary(p => p.Key, p => p.Value[0]);
            if (outputs.Count == 0) continue;
            // A job reads only datasets made before its outputs (provenance follows inputs back and must end).
            long first = outputs.Values.Min();
            var inputs = Mapping(attrs["input_dataset_mapping"], imported)
                .Select(p => (p.Key, Ids: p.Value.Where(id => id < first).ToList())).Where(p => p.Ids.Count > 0).ToDictionary(p => p.Key, p => p.Ids);
            var parameters = attrs["params"] is JsonObject given ? given.ToJsonString() : "{}";
            var job = jobs.Create(new JobRecord
            {
                UserId = user.Id, HistoryId = history.Id, ToolId = Text(attrs, "tool_id") ?? "unknown", ToolVersion = Text(attrs, "tool_version") ?? "",
                State = Text(attrs, "state") is JobStates.Error ? JobStates.Error : JobStates.Ok, ExitCode = attrs["exit_code"] is JsonValue x && x.TryGetValue<int>(out var code) ? code : null,
                Params = parameters.Length <= 1 << 20 ? parameters : "{}", Inputs = JsonSerializer.Serialize(inputs),
                Outputs = JsonSerializer.Serialize(outputs), Info = "imported from a history archive",
            });
            foreach (var dataset in outputs.Values) datasets.SetCreatingJob(dataset, job.Id);
        }
    }

    /// <summary>The archive's collections whose every dataset was imported, after the datasets, in hid order.</summary>
    private void ImportCollections(UserRecord user, HistoryRecord history, JsonArray? list, Dictionary<string, long> imported)
    {
        foreach (var attrs in (list ?? []).OfType<JsonObject>().OrderBy(c => c["hid"] is JsonValue v && v.TryGetValue<long>(out var hid) ? hid : long.MaxValue))
        {
            if (Text(attrs, "display_name") is not { Length: > 0 and <= 255 } name || name.Any(char.IsControl)) continue;
            if (attrs["collection"] is not JsonObject structure || Spec(structure, imported, depth: 0) is not { } spec) continue;
            var hdca = collections.Create(history.Id, user.Id, name, spec, visible: attrs["visible"] is not JsonValue v || !v.TryGetValue<bool>(out var visible) || visible);
            if (attrs["deleted"] is JsonValue d && d.TryGetValue<bool>(out var deleted) && deleted) collections.Update(hdca.Id, null, null, deleted: true);
        }
    }

    /// <summary>A collection's structure from the archive, or null when it is not a valid one or names a dataset that was not imported.</summary>
    private static CollectionSpec? Spec(JsonObject structure, Dictionary<string, long> imported, int depth)
    {
        if (depth > 4 || Text(structure, "type") is not { } type) return null;
        try { CollectionService.CheckType(type); }
        catch (ApiException) { return null; }
        var elements = new List<CollectionElementSpec>();
        foreach (var e in (structure["elements"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var identifier = Text(e, "element_identifier");
            if (identifier is not { Length: > 0 and <= 255 } || identifier.Any(char.IsControl) || identifier.Contains('/', StringComparison.Ordinal)) return null;
            if (e["hda"] is JsonObject hda && !type.Contains(':', StringComparison.Ordinal) && Text(hda, "encoded_id") is { } archiveId && imported.TryGetValue(archiveId, out var dataset))
                elements.Add(new(identifier, dataset, null));
            else if (e["child_collection"] is JsonObject child && type.Contains(':', StringComparison.Ordinal) && Spec(child, imported, depth + 1) is { } nested && type.EndsWith(":" + nested.CollectionType, StringComparison.Ordinal))
                elements.Add(new(identifier, null, nested));
            else return null;
        }
        return elements.Count > 0 && elements.Select(e => e.Identifier).Distinct().Count() == elements.Count ? new CollectionSpec(type, elements) : null;
    }

    /// <summary>An archive's name → [archive ids] mapping, with only the datasets that were imported, by their new ids.</summary>
    private static Dictionary<string, List<long>> Mapping(JsonNode? node, Dictionary<string, long> imported) =>
        (node as JsonObject ?? []).Select(p => (p.Key, Ids: (p.Value as JsonArray ?? []).Select(i => i?.ToString()).OfType<string>()
                .Where(imported.ContainsKey).Select(i => imported[i]).ToList()))
            .Where(p => p.Ids.Count > 0 && p.Key.Length <= 255).ToDictionary(p => p.Key, p => p.Ids);

    private void Write(HistoryExportRecord export, HistoryRecord history, ExportOptions options)
    {
        var temporary = files.NewTemporaryPath();
        try
        {
            var exportedCollections = collections.ListByHistory(history.Id).Where(c => (options.IncludeDeleted || !c.Deleted) && (options.IncludeHidden || c.Visible)).ToList();
            // A collection's elements go with it, hidden or not, as Galaxy's exports do.
            var inCollections = exportedCollections.SelectMany(c => DatasetIds(c.CollectionId)).ToHashSet();
            var included = datasets.ListByHistory(history.Id)
                .Where(d => !d.Purged && File.Exists(files.DatasetPath(d.Id))
                    && (inCollections.Contains(d.Id) || (options.IncludeDeleted || !d.Deleted) && (options.IncludeHidden || d.Visible))).ToList();
            var archiveFiles = included.ToDictionary(d => FileName(d), d => files.DatasetPath(d.Id));
            var attributes = new Dictionary<string, JsonNode>
            {
                [GalaxyArchive.HistoryAttributes] = new JsonObject
                {
                    ["model_class"] = "History", ["name"] = history.Name, ["annotation"] = history.Annotation, ["genome_build"] = "?",
                    ["tags"] = new JsonArray(history.TagList.Select(t => (JsonNode?)t).ToArray()), ["hid_counter"] = included.Count == 0 ? 1 : included.Max(d => d.Hid) + 1,
                    ["create_time"] = history.CreateTime, ["update_time"] = history.UpdateTime, ["encoded_id"] = ids.Encode(history.Id),
                },
                [GalaxyArchive.DatasetAttributes] = new JsonArray(included.Select(d => (JsonNode?)DatasetAttributes(d)).ToArray()),
                [GalaxyArchive.JobAttributes] = new JsonArray(JobsOf(included).Select(j => (JsonNode?)JobAttributes(j)).ToArray()),
                [GalaxyArchive.CollectionAttributes] = new JsonArray(exportedCollections
                    .Select(c => (JsonNode?)new JsonObject
                    {
                        ["model_class"] = "HistoryDatasetCollectionAssociation", ["encoded_id"] = ids.Encode(c.Id), ["display_name"] = c.Name, ["hid"] = c.Hid,
                        ["visible"] = c.Visible, ["deleted"] = c.Deleted, ["collection"] = CollectionAttributes(c.CollectionId),
                    }).ToArray()),
                [GalaxyArchive.ExportAttributes] = new JsonObject { ["galaxy_export_version"] = "2" },
            };
            using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
                GalaxyArchive.Write(output, options.Gzip, attributes, archiveFiles);
            var target = files.ExportPath(export.Id);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(temporary, target, overwrite: true);
            exports.SetState(export.Id, "ok", null);
        }
        catch (Exception e)
        {
            log.LogError(e, "exporting history {History} failed", history.Id);
            File.Delete(temporary);
            exports.SetState(export.Id, "error", DiskSpace.IsFull(e) ? "the server's disk is full" : "the export failed; the server's log has the details");
        }
        finally
        {
            _writing.TryRemove(export.Id, out _);
        }
    }

    private JsonObject DatasetAttributes(DatasetRecord d) => new()
    {
        ["model_class"] = "HistoryDatasetAssociation", ["encoded_id"] = ids.Encode(d.Id), ["name"] = d.Name, ["extension"] = d.Extension, ["hid"] = d.Hid,
        ["visible"] = d.Visible, ["deleted"] = d.Deleted, ["state"] = d.State, ["info"] = d.Info, ["blurb"] = d.Info, ["peek"] = d.Peek,
        ["metadata"] = d.Metadata is null ? null : JsonNode.Parse(d.Metadata), ["annotation"] = d.Annotation, ["genome_build"] = d.GenomeBuild,
        ["tags"] = new JsonArray(d.TagList.Select(t => (JsonNode?)t).ToArray()),
        ["dataset_uuid"] = d.Uuid, ["file_name"] = FileName(d), ["create_time"] = d.CreateTime, ["update_time"] = d.UpdateTime, ["exported"] = true,
    };

    private IEnumerable<long> DatasetIds(long collectionId) =>
        collections.Elements(collectionId).SelectMany(e => e.DatasetId is { } d ? [d] : DatasetIds(e.ChildCollectionId!.Value));

    private JsonObject CollectionAttributes(long collectionId) => new()
    {
        ["model_class"] = "DatasetCollection", ["type"] = collections.CollectionType(collectionId), ["populated_state"] = "ok",
        ["elements"] = new JsonArray(collections.Elements(collectionId).Select(e => (JsonNode?)new JsonObject
        {
            ["model_class"] = "DatasetCollectionElement", ["element_identifier"] = e.ElementIdentifier, ["element_index"] = e.ElementIndex,
            ["element_type"] = e.DatasetId is null ? "dataset_collection" : "hda",
            [e.DatasetId is null ? "child_collection" : "hda"] = e.DatasetId is { } d ? new JsonObject { ["encoded_id"] = ids.Encode(d), ["model_class"] = "HistoryDatasetAssociation" }
                : CollectionAttributes(e.ChildCollectionId!.Value),
        }).ToArray()),
    };

    private IEnumerable<JobRecord> JobsOf(IEnumerable<DatasetRecord> included) =>
        included.Select(d => d.CreatingJobId).OfType<long>().Distinct().Select(jobs.Get).OfType<JobRecord>();

    private JsonObject JobAttributes(JobRecord j) => new()
    {
        ["model_class"] = "Job", ["encoded_id"] = ids.Encode(j.Id), ["tool_id"] = j.ToolId, ["tool_version"] = j.ToolVersion, ["state"] = j.State,
        ["exit_code"] = j.ExitCode, ["params"] = JsonNode.Parse(j.Params), ["create_time"] = j.CreateTime, ["update_time"] = j.UpdateTime,
        ["input_dataset_mapping"] = new JsonObject(JsonSerializer.Deserialize<Dictionary<string, List<long>>>(j.Inputs)!
            .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray(p.Value.Select(id => (JsonNode?)ids.Encode(id)).ToArray())))),
        ["output_dataset_mapping"] = new JsonObject(Api.GalaxyViews.JobOutputs(j)
            .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray(ids.Encode(p.Value))))),
    };

    /// <summary>The dataset's file in the archive: its name made safe, its hid, its extension (Galaxy's pattern, unique by hid).</summary>
    private static string FileName(DatasetRecord d) =>
        $"datasets/{new string(d.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').Take(100).ToArray())}_{d.Hid}.{d.Extension}";

    /// <summary>What the history is now: changed when a dataset is added, renamed, finished or deleted.</summary>
    private string Version(HistoryRecord h)
    {
        var list = datasets.ListByHistory(h.Id);
        return $"{h.UpdateTime}|{list.Count}|{(list.Count == 0 ? "" : list.Max(d => d.UpdateTime))}";
    }

    private static string? Text(JsonObject node, string name) => node[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
