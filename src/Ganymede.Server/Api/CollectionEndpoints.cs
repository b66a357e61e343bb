using System.IO.Compression;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Dataset collections: show, update and delete through their history (/api/histories/{id}/contents/dataset_collections),
/// create and show on their own (/api/dataset_collections), and download as a zip archive. Creating through the
/// history's contents is in <see cref="DatasetEndpoints"/>.
/// </summary>
public static class CollectionEndpoints
{
    private const string Contents = "/api/histories/{id}/contents/dataset_collections/{collectionId}";

    public static IEndpointRouteBuilder MapCollectionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(Contents, (HttpContext c, string id, string collectionId, Access access, CollectionViews views) =>
        {
            var user = c.CurrentUser();
            return Results.Json(views.Detail(access.Collection(user, access.History(user, id), collectionId)));
        });
        app.MapPut(Contents, async (HttpContext c, string id, string collectionId, Access access, CollectionService collections, CollectionViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var hdca = access.Collection(user, access.History(user, id), collectionId);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(views.Detail(collections.Update(hdca, body.String("name"), body.Bool("visible"), body.Bool("deleted"))));
        });
        app.MapDelete(Contents, (HttpContext c, string id, string collectionId, Access access, CollectionService collections, CollectionViews views) =>
        {
            var user = c.CurrentUser();
            var hdca = access.Collection(user, access.History(user, id), collectionId);
            return Results.Json(views.Detail(collections.Update(hdca, null, null, deleted: true)));
        });

        app.MapPost("/api/dataset_collections", async (HttpContext c, Access access, CollectionService collections, CollectionViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var history = access.WritableHistory(user, body.String("history_id"));
            return Results.Json(views.Detail(Create(user, history, body, access, collections)));
        });
        app.MapGet("/api/dataset_collections/{collectionId}", (HttpContext c, string collectionId, Access access, CollectionViews views) =>
            Results.Json(views.Detail(access.Collection(c.CurrentUser(), collectionId))));
        app.MapGet("/api/dataset_collections/{collectionId}/download", async (HttpContext c, string collectionId, Access access, CollectionService collections, FileStore files) =>
        {
            var hdca = access.Collection(c.CurrentUser(), collectionId);
            var name = Safe(hdca.Name);
            c.Response.ContentType = "application/zip";
            c.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}.zip\"";
            await using var zip = new ZipArchive(c.Response.BodyWriter.AsStream(), ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (path, dataset) in collections.Datasets(hdca.CollectionId).Where(d => !d.Dataset.Purged && File.Exists(files.DatasetPath(d.Dataset.Id))))
            {
                var entry = zip.CreateEntry($"{name}/{string.Join('/', path.Split('/').Select(Safe))}.{dataset.Extension}", CompressionLevel.Fastest);
                await using var target = await entry.OpenAsync(c.RequestAborted);
                await using var source = File.OpenRead(files.DatasetPath(dataset.Id));
                await source.CopyToAsync(target, c.RequestAborted);
            }
        });
        return app;
    }

    /// <summary>POST .../contents with type dataset_collection, or POST /api/dataset_collections: Galaxy's element_identifiers.</summary>
    public static HistoryCollectionRecord Create(UserRecord user, HistoryRecord history, System.Text.Json.Nodes.JsonObject body, Access access, CollectionService collections) =>
        collections.Create(user, history, body.String("name"), body.String("collection_type"), body["element_identifiers"] as System.Text.Json.Nodes.JsonArray,
            id => access.Dataset(user, id), id => access.Collection(user, id));

    private static string Safe(string name) => new(name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' or '_' or ' ' ? ch : '_').Take(150).ToArray());
}
