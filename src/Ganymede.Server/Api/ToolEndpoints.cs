using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Ganymede.Server.Api;

/// <summary>Tools: list, show, run (POST /api/tools, JSON or multipart upload1), and fetch (tus uploads into datasets).</summary>
public static class ToolEndpoints
{
    public static IEndpointRouteBuilder MapToolEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/tools", (HttpContext c, ToolBox tools) =>
        {
            c.CurrentUser();
            var visible = tools.All.Where(t => !t.Hidden).Select(t => Describe(t, resources: null)).ToList();
            if (c.Request.QueryBool("in_panel") == true)
                return Results.Json(new[] { new Dictionary<string, object?> { ["model_class"] = "ToolSection", ["id"] = "ganymede", ["name"] = "Ganymede", ["elems"] = visible } });
            return Results.Json(visible);
        });

        // Tool ids may contain '/' (Tool Shed ids), so the id is a catch-all.
        app.MapGet("/api/tools/{**id}", (HttpContext c, string id, ToolBox tools, ResourceRequests resources) =>
        {
            c.CurrentUser();
            var tool = tools.Find(id) ?? throw ApiException.NotFound($"tool {id} not found");
            return Results.Json(Describe(tool, c.Request.QueryBool("io_details") == true ? resources : null));
        });

        // The form's model (Galaxy's build): the tool's inputs, and for each dataset input the history's datasets it may take.
        app.MapPost("/api/tools/{id}/build", async (HttpContext c, string id, ToolBox tools, Access access, DatasetStore datasets, GalaxyViews views, ResourceRequests resources, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var tool = tools.Find(id) ?? throw ApiException.NotFound($"tool {id} not found");
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var model = Describe(tool, resources);
            if ((body.String("history_id") ?? c.Request.Query["history_id"].LastOrDefault()) is { } historyId)
            {
                var history = access.History(user, historyId);
                var choices = datasets.ListByHistory(history.Id, deleted: false, visible: true).Where(d => d.State is DatasetStates.Ok or DatasetStates.Empty).ToList();
                foreach (var input in (List<Dictionary<string, object?>>)model["inputs"]!)
                    if (input["type"] is "data")
                        input["options"] = new Dictionary<string, object?>
                        {
                            ["hda"] = choices.Where(d => (input["extensions"] as string[]) is not { Length: > 0 } f || f.Contains(d.Extension))
                                .Select(d => new Dictionary<string, object?> { ["id"] = views.Id(d.Id), ["hid"] = d.Hid, ["name"] = d.Name, ["src"] = "hda" }).ToList(),
                        };
                model["history_id"] = historyId;
            }
            return Results.Json(model);
        });

        app.MapPost("/api/tools", async (HttpContext c, Access access, ToolBox tools, ToolRuns runs, UploadService uploads, FileStore files, GalaxyViews views,
            CollectionViews collectionViews, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var isMultipart = c.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true;
            var (body, fileParts) = isMultipart ? await MultipartForm.ReadAsync(c.Request.ContentType, c.Request.Body, files, o, c.RequestAborted) : (await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes), []);
            try
            {
                var inputs = Inputs(body);
                var toolId = body.String("tool_id") ?? throw ApiException.MissingParameter("tool_id is required");
                var history = access.WritableHistory(user, body.String("history_id"));
                var tool = tools.Find(toolId) ?? throw ApiException.NotFound($"tool {toolId} not found");
                if (tool is UploadTool) return Results.Json(Upload(user, history, inputs, fileParts, uploads, views));
                if (tool is DataFetchTool) throw ApiException.BadRequest("__DATA_FETCH__ runs through POST /api/tools/fetch");
                var run = runs.Run(user, history, tool, inputs, id => access.Collection(user, id));
                var response = views.ToolResponse(run.Outputs, run.Jobs);
                response["implicit_collections"] = run.Collections.Select(c =>
                {
                    var view = collectionViews.Detail(c.Collection);
                    view["output_name"] = c.Name;
                    return view;
                }).ToList();
                return Results.Json(response);
            }
            finally
            {
                foreach (var part in fileParts.Values) if (File.Exists(part.Path)) File.Delete(part.Path);
            }
        });

        app.MapPost("/api/tools/fetch", async (HttpContext c, Access access, TusUploads tus, UploadService uploads, GalaxyViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var history = access.WritableHistory(user, body.String("history_id"));
            var targets = body["targets"] as JsonArray ?? throw ApiException.MissingParameter("targets is required");
            var results = new List<(string, DatasetRecord)>();
            var jobs = new List<JobRecord>();
            int fileIndex = 0;
            foreach (var target in targets)
            {
                if (target?["destination"]?["type"]?.ToString() is not "hdas") throw ApiException.BadRequest("only destination type 'hdas' is supported (no collections or libraries)");
                foreach (var element in target["elements"] as JsonArray ?? throw ApiException.MissingParameter("targets[].elements is required"))
                {
                    if (element is not JsonObject e) throw ApiException.BadRequest("targets[].elements[] must be objects");
                    var (path, sha, name) = e.String("src") switch
                    {
                        "files" => TusFile(body, fileIndex++, user, access, tus),
                        "pasted" => uploads.Pasted(e.String("paste_content") ?? throw ApiException.MissingParameter("paste_content is required for src 'pasted'")),
                        var src => throw ApiException.BadRequest($"element source '{src}' is not supported (use files or pasted)"),
                    };
                    var (dataset, job) = uploads.Store(user, history, path, sha, e.String("name") ?? name, e.String("ext"), "__DATA_FETCH__",
                        e.Bool("to_posix_lines") ?? false, e.Bool("space_to_tab") ?? false, e.String("dbkey") ?? "?");
                    results.Add(($"output{results.Count}", dataset));
                    jobs.Add(job);
                }
            }
            return Results.Json(views.ToolResponse(results, jobs));
        });
        return app;
    }

    /// <summary>A tool as Galaxy shows it; with <paramref name="resources"/>, its inputs and outputs too (a runnable tool's ending with its job resource section where the server offers one).</summary>
    private static Dictionary<string, object?> Describe(Tool t, ResourceRequests? resources) => new()
    {
        ["id"] = t.Id, ["name"] = t.Name, ["version"] = t.Version, ["description"] = t.Description, ["model_class"] = "Tool",
        ["hidden"] = t.Hidden ? "true" : "", ["panel_section_id"] = "ganymede", ["panel_section_name"] = "Ganymede", ["edam_topics"] = Array.Empty<string>(),
        ["inputs"] = resources is null ? null : Model([.. t.Inputs, .. resources.Inputs(t)]),
        ["outputs"] = resources is not null ? t.Outputs.Select(x => new Dictionary<string, object?> { ["name"] = x.Name, ["format"] = x.Format, ["label"] = x.Label }).ToList() : null,
    };

    /// <summary>The inputs as Galaxy's tool model has them: a conditional's inputs gathered under it, its first one choosing the case.</summary>
    private static List<Dictionary<string, object?>> Model(IReadOnlyList<ToolInput> inputs)
    {
        var model = new List<Dictionary<string, object?>>();
        foreach (var group in inputs.GroupBy(i => i.Conditional ?? i.Name))
        {
            var first = group.First();
            if (first.Conditional is null)
            {
                model.Add(Input(first));
                continue;
            }
            var rest = group.Skip(1).Select(Input).ToList();
            model.Add(new Dictionary<string, object?>
            {
                ["model_class"] = "Conditional", ["name"] = first.Conditional, ["type"] = "conditional", ["test_param"] = Input(first),
                ["cases"] = (first.Options ?? []).Select((option, i) => new Dictionary<string, object?> { ["value"] = option, ["inputs"] = i == 0 ? [] : rest }).ToList(),
            });
        }
        return model;
    }

    private static Dictionary<string, object?> Input(ToolInput i) => new()
    {
        ["name"] = i.Name, ["type"] = i.Type, ["label"] = i.Label, ["optional"] = i.Optional, ["multiple"] = i.Multiple, ["help"] = i.Help,
        ["extensions"] = i.Formats, ["value"] = i.Default?.DeepClone(), ["min"] = i.Min, ["max"] = i.Max, ["options"] = i.Options?.Select(x => new[] { x, x, "False" }).ToArray(),
    };

    /// <summary>The tool inputs: the inputs object (a JSON string in multipart requests) plus every top-level files_* key, as Galaxy merges them.</summary>
    private static JsonObject Inputs(JsonObject body)
    {
        var inputs = body["inputs"] switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            JsonValue v when v.TryGetValue<string>(out var s) => ParseObject(s, "inputs"),
            var other => throw ApiException.BadRequest($"inputs: expected an object, got {other.ToJsonString()}"),
        };
        foreach (var (key, value) in body)
            if (key.StartsWith("files_", StringComparison.Ordinal) || key.StartsWith("__files_", StringComparison.Ordinal))
                inputs[key.TrimStart('_')] = value?.DeepClone();
        return inputs;
    }

    private static JsonObject ParseObject(string text, string what)
    {
        try { return JsonNode.Parse(text, documentOptions: new() { AllowDuplicateProperties = false }) as JsonObject ?? throw ApiException.BadRequest($"{what}: expected a JSON object"); }
        catch (System.Text.Json.JsonException e) { throw ApiException.BadRequest($"{what}: malformed JSON ({e.Message})"); }
    }

    private static Dictionary<string, object?> Upload(UserRecord user, HistoryRecord history, JsonObject inputs, Dictionary<string, MultipartForm.UploadedPart> fileParts, UploadService uploads, GalaxyViews views)
    {
        var outputs = new List<(string, DatasetRecord)>();
        var jobs = new List<JobRecord>();
        for (int i = 0; ; i++)
        {
            string prefix = $"files_{i}|";
            bool hasFile = fileParts.TryGetValue(prefix + "file_data", out var part);
            var paste = inputs.String(prefix + "url_paste");
            if (!hasFile && paste is null)
            {
                if (i == 0) throw ApiException.MissingParameter("upload1 needs a file (files_0|file_data) or pasted text (files_0|url_paste)");
                break;
            }
            if (!hasFile) UploadService.RefuseUrls(paste!);
            var (path, sha) = hasFile ? (part!.Path, part.Sha256) : (uploads.Pasted(paste!) is var p ? (p.Path, p.Sha256) : default);
            var name = inputs.String(prefix + "NAME") ?? part?.FileName ?? "Pasted Entry";
            var type = inputs.String(prefix + "file_type") ?? inputs.String("file_type");
            bool toPosix = inputs.Bool(prefix + "to_posix_lines") ?? true;
            bool spaceToTab = inputs[prefix + "space_to_tab"]?.ToString() is "Yes" or "true" or "True";
            var dbkey = inputs.String(prefix + "dbkey") ?? inputs.String("dbkey") ?? "?";
            var (dataset, job) = uploads.Store(user, history, path, sha, name, type, "upload1", toPosix, spaceToTab, dbkey);
            outputs.Add(($"output{i}", dataset));
            jobs.Add(job);
        }
        return views.ToolResponse(outputs, jobs);
    }

    /// <summary>The i-th tus upload a fetch names: it must be the caller's and complete. Its file is handed over, not copied.</summary>
    private static (string Path, string Sha256, string Name) TusFile(JsonObject body, int index, UserRecord user, Access access, TusUploads tus)
    {
        var reference = body[$"files_{index}|file_data"] as JsonObject ?? throw ApiException.MissingParameter($"files_{index}|file_data (the tus session) is required");
        var sessionId = reference.String("session_id") ?? throw ApiException.MissingParameter($"files_{index}|file_data.session_id is required");
        var (path, sha) = tus.TakeComplete(access.UploadSession(user, sessionId));
        return (path, sha, reference.String("name") ?? "upload");
    }
}
