using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>Datasets, through their history (/api/histories/{id}/contents) and on their own (/api/datasets).</summary>
public static class DatasetEndpoints
{
    private const string FileNameCharacters = ".,^_-()[]0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static readonly string[] TextTypes = ["txt", "csv", "tabular", "csx", "json", "ipynb"];

    public static IEndpointRouteBuilder MapDatasetEndpoints(this IEndpointRouteBuilder app)
    {
        // Datasets and collections in hid order; types=dataset or types=dataset_collection keeps one kind; limit and
        // offset page through them; the ETag lets a poller skip an unchanged list. Another user's history shared with
        // the caller (or published) lists only the datasets the caller may read.
        app.MapGet("/api/histories/{id}/contents", (HttpContext c, string id, Access access, SharingService sharing, DatasetStore datasets, CollectionStore collections,
            GalaxyViews views, CollectionViews collectionViews, ContentsCache cache) =>
        {
            var user = c.CurrentUserOrNull();
            var h = access.ReadableHistory(user, id);
            var r = c.Request;
            var details = r.Query["details"].LastOrDefault();
            // Read before the contents: a change made meanwhile gives the next request a newer version, never a stale answer.
            var version = user is not null && user.Id == h.UserId && details is null ? datasets.ContentsVersion(h.Id) : null;
            var query = r.QueryString.Value ?? "";
            if (version is not null && cache.TryGet(h.Id, query, version, out var kept)) return ConditionalJson.Of(c, kept);
            var types = r.Query["types"].SelectMany(t => t!.Split(',')).ToList();
            var ids = r.Query["ids"].LastOrDefault()?.Split(',').Select(i => access.Decode("dataset", i)).ToHashSet();
            var detailedIds = details is null or "all" ? null : details.Split(',').Select(i => access.Decode("dataset", i)).ToHashSet();
            var items = types.Count > 0 && !types.Contains("dataset") ? [] : datasets.ListByHistory(h.Id, r.QueryBool("deleted"), r.QueryBool("visible"))
                .Where(d => (ids is null || ids.Contains(d.Id)) && (d.UserId == user?.Id || sharing.MayRead(user, d)))
                .Select(d => (d.Hid, View: (Func<Dictionary<string, object?>>)(() => details == "all" || detailedIds?.Contains(d.Id) == true ? views.Dataset(d) : views.ContentItem(d))));
            var collectionItems = types.Count > 0 && !types.Contains("dataset_collection") || ids is not null ? []
                : collections.ListByHistory(h.Id, r.QueryBool("deleted"), r.QueryBool("visible"))
                    .Select(hdca => (hdca.Hid, View: (Func<Dictionary<string, object?>>)(() => collectionViews.Item(hdca))));
            var page = items.Concat(collectionItems).OrderBy(i => i.Hid).Skip(r.QueryInt("offset", 0)).Take(r.QueryInt("limit", int.MaxValue));
            var answer = ConditionalJson.Serialize(c, page.Select(i => i.View()).ToList());
            if (version is not null) cache.Put(h.Id, query, version, answer);
            return ConditionalJson.Of(c, answer);
        });

        // Copies into the history: another history's dataset (source hda) or a library's (source library), sharing the bytes...
        // ...or a new dataset collection (type dataset_collection) of datasets already there.
        app.MapPost("/api/histories/{id}/contents", async (HttpContext c, string id, Access access, DatasetService datasets, LibraryService libraries,
            CollectionService collections, GalaxyViews views, CollectionViews collectionViews, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var history = access.WritableHistory(user, id);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            if (body.String("type") == "dataset_collection")
                return Results.Json(collectionViews.Detail(body.String("source") == "hdca"
                    ? collections.CopyTo(user, access.Collection(user, body.String("content") ?? throw ApiException.MissingParameter("content (the id of the collection to copy) is required")), history)
                    : CollectionEndpoints.Create(user, history, body, access, collections)));
            if (body.String("type") is { } type && type != "dataset") throw ApiException.BadRequest($"type '{type}': expected dataset or dataset_collection");
            var content = body.String("content") ?? body.String("from_ld_id") ?? throw ApiException.MissingParameter("content (the id of the dataset to copy) is required");
            var copy = body.String("source") switch
            {
                "hda" or null => datasets.Copy(user, access.ReadableDataset(user, content), history),
                "library" or "ld" => libraries.ImportToHistory(user, libraries.Dataset(user, access.Decode("library dataset", content)), history),
                var other => throw ApiException.BadRequest($"source '{other}': expected hda or library"),
            };
            return Results.Json(views.Dataset(copy));
        });

        app.MapGet("/api/histories/{id}/contents/{datasetId}", (HttpContext c, string id, string datasetId, Access access, GalaxyViews views) =>
        {
            var user = c.CurrentUserOrNull();
            return Results.Json(views.Dataset(access.ReadableDataset(user, access.ReadableHistory(user, id), datasetId)));
        });
        // Galaxy's composite datasets keep extra files beside the main one; every dataset here is one file.
        app.MapGet("/api/histories/{id}/contents/{datasetId}/extra_files", (HttpContext c, string id, string datasetId, Access access) =>
        {
            var user = c.CurrentUser();
            access.Dataset(user, access.History(user, id), datasetId);
            return Results.Json(Array.Empty<object>());
        });
        app.MapGet("/api/histories/{id}/contents/{datasetId}/provenance", (HttpContext c, string id, string datasetId, Access access, Provenance provenance) =>
        {
            var user = c.CurrentUser();
            return Results.Json(provenance.Of(access.Dataset(user, access.History(user, id), datasetId), c.Request.QueryBool("follow") == true));
        });
        app.MapGet("/api/histories/{id}/contents/datasets/{datasetId}", (HttpContext c, string id, string datasetId, Access access, GalaxyViews views) =>
        {
            var user = c.CurrentUser();
            return Results.Json(views.Dataset(access.Dataset(user, access.History(user, id), datasetId)));
        });

        app.MapPut("/api/histories/{id}/contents/{datasetId}", async (HttpContext c, string id, string datasetId, Access access, DatasetService datasets, GalaxyViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var d = access.Dataset(user, access.History(user, id), datasetId);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(views.Dataset(datasets.Update(d, new DatasetChange(body.String("name"), body.Bool("visible"), body.Bool("deleted"),
                body.String("annotation"), body.String("genome_build") ?? body.String("dbkey"), body.String("misc_info") ?? body.String("info"), body.String("datatype"),
                body.Strings("tags")))));
        });

        app.MapDelete("/api/histories/{id}/contents/{datasetId}", async (HttpContext c, string id, string datasetId, Access access, DatasetService datasets, GalaxyViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var d = access.Dataset(user, access.History(user, id), datasetId);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            bool purge = body.Bool("purge") ?? c.Request.QueryBool("purge") ?? false;
            datasets.Delete(d, purge);
            return Results.Json(new Dictionary<string, object?> { ["id"] = views.Id(d.Id), ["deleted"] = true, ["purged"] = purge });
        });

        app.MapGet("/api/histories/{id}/contents/{datasetId}/display", (HttpContext c, string id, string datasetId, Access access, FileStore files) =>
        {
            var user = c.CurrentUserOrNull();
            return Display(c, access.ReadableDataset(user, access.ReadableHistory(user, id), datasetId), files);
        });
        app.MapGet("/api/datasets/{id}/display", (HttpContext c, string id, Access access, FileStore files) => Display(c, access.ReadableDataset(c.CurrentUserOrNull(), id), files));

        app.MapGet("/api/datasets/{id}", (HttpContext c, string id, Access access, GalaxyViews views) => Results.Json(views.Dataset(access.ReadableDataset(c.CurrentUserOrNull(), id))));
        app.MapGet("/api/datasets/deleted/{id}", (HttpContext c, string id, Access access, GalaxyViews views) => Results.Json(views.Dataset(access.Dataset(c.CurrentUser(), id))));

        app.MapGet("/api/datasets", (HttpContext c, Access access, DatasetStore datasets, GalaxyViews views) =>
        {
            var user = c.CurrentUser();
            var r = c.Request;
            var f = HistoryEndpoints.Filters(r);
            string[]? List(string name) => f.TryGetValue(name + "-in", out var v) ? v.Split(',') : f.TryGetValue(name + "-eq", out var e) ? [e] : f.TryGetValue(name, out var p) ? [p] : null;
            if (List("state") is { } states && states.FirstOrDefault(s => !DatasetStates.All.Contains(s)) is { } unknown)
                throw ApiException.BadRequest($"unknown dataset state '{unknown}' (one of {string.Join(", ", DatasetStates.All)})");
            bool? Flag(string name) => f.TryGetValue(name, out var v) ? bool.TryParse(v, out var b) ? b : throw ApiException.BadRequest($"{name} filter: '{v}'") : null;
            var order = r.Query["order"].LastOrDefault() ?? "create_time-dsc";
            var historyId = r.Query["history_id"].LastOrDefault();
            var query = new DatasetQuery
            {
                Limit = r.QueryInt("limit", 500, 10_000), Offset = r.QueryInt("offset", 0),
                HistoryId = historyId is null ? null : access.History(user, historyId).Id,
                Name = f.GetValueOrDefault("name") ?? f.GetValueOrDefault("name-contains"), States = List("state"), Extensions = List("extension"),
                Visible = Flag("visible"), Deleted = Flag("deleted"), Purged = Flag("purged"), ToolId = f.GetValueOrDefault("tool_id"),
                CreateTimeMin = f.GetValueOrDefault("create_time-ge"), CreateTimeMax = f.GetValueOrDefault("create_time-le"),
                UpdateTimeMin = f.GetValueOrDefault("update_time-ge"), UpdateTimeMax = f.GetValueOrDefault("update_time-le"),
                OrderColumn = order.Split('-')[0], Descending = !order.EndsWith("-asc", StringComparison.Ordinal),
            };
            return Results.Json(datasets.Query(user.Id, query).Select(views.ContentItem).ToList());
        });
        return app;
    }

    /// <summary>
    /// The dataset's bytes, with a Content-Length and Galaxy's exact Content-Disposition (BioBlend parses it with
    /// shlex, so only quote-free file-name characters go inside the quotes).
    /// </summary>
    private static IResult Display(HttpContext c, DatasetRecord d, FileStore files)
    {
        var path = files.DatasetPath(d.Id);
        if (d.Purged || !File.Exists(path)) throw ApiException.NotFound($"dataset {d.Name} has no file ({(d.Purged ? "purged" : d.State)})");
        bool text = TextTypes.Contains(d.Extension);
        bool download = c.Request.Query.ContainsKey("to_ext") || !text;
        if (download)
        {
            var ext = c.Request.Query["to_ext"].LastOrDefault() is { Length: > 0 } requested && requested.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '.') ? requested : d.Extension;
            var safe = new string(d.Name.Select(ch => FileNameCharacters.Contains(ch, StringComparison.Ordinal) ? ch : '_').Take(150).ToArray());
            c.Response.Headers.ContentDisposition = $"attachment; filename=\"Galaxy{d.Hid}-[{safe}].{ext}\"";
            return Results.File(path, "application/octet-stream", enableRangeProcessing: true);
        }
        return Results.File(path, d.Extension == "json" || d.Extension == "ipynb" ? "application/json" : "text/plain; charset=utf-8", enableRangeProcessing: true);
    }
}
