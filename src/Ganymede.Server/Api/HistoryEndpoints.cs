using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Histories: create, list (an administrator's all=true: everyone's), show, update (name, annotation, tags, publish),
/// tag, delete (and purge), undelete; the most recently used; the published ones, for anyone.
/// </summary>
public static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        // A new history: empty, or imported from a Galaxy history archive sent as archive_file (BioBlend's import_history).
        app.MapPost("/api/histories", async (HttpContext c, HistoryService histories, HistoryArchives archives, HistoryCopier copier, Access access, GalaxyViews views,
            FileStore files, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            if (c.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
            {
                var (form, parts) = await MultipartForm.ReadAsync(c.Request.ContentType, c.Request.Body, files, o, c.RequestAborted);
                if (!parts.Remove("archive_file", out var archive))
                {
                    foreach (var part in parts.Values) File.Delete(part.Path);
                    throw ApiException.MissingParameter(form.String("archive_source") is { Length: > 0 } ? "this server does not fetch URLs; send the archive itself as archive_file" : "send the history archive as archive_file");
                }
                foreach (var part in parts.Values) File.Delete(part.Path);
                var imported = archives.Import(user, archive.Path);
                var view = views.History(imported, user);
                view["message"] = $"Imported history '{imported.Name}' from the archive";
                return Results.Json(view);
            }
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            if (body.String("archive_source") is { Length: > 0 }) throw ApiException.BadRequest("this server does not fetch URLs; send the archive itself as archive_file");
            // A copy of a history the caller may read (theirs, shared with them, published).
            if (body.String("history_id") is { } source)
                return Results.Json(views.History(copier.Copy(user, access.ReadableHistory(user, source), body.String("name")), user));
            return Results.Json(views.History(histories.Create(user, body.String("name")), user));
        });

        // BioBlend's filters arrive as q/qv pairs: deleted, published, slug, name; unknown ones are ignored.
        app.MapGet("/api/histories", (HttpContext c, HistoryStore histories, GalaxyViews views) =>
        {
            var user = c.CurrentUser();
            var (deleted, published, filters) = ListFilters(c.Request);
            bool everyone = c.Request.QueryBool("all") == true;
            if (everyone && !user.IsAdmin) throw ApiException.Forbidden("only administrators may list every user's histories (all=true)");
            var list = everyone ? histories.ListAll(deleted, publishedOnly: published == true) : histories.List(user.Id, deleted, published);
            return Results.Json(Filtered(list, filters).Select(views.HistorySummary).ToList());
        });

        app.MapGet("/api/histories/published", (HttpContext c, HistoryStore histories, GalaxyViews views) =>
        {
            var (deleted, _, filters) = ListFilters(c.Request);
            return Results.Json(Filtered(histories.ListAll(deleted, publishedOnly: true), filters).Select(views.HistorySummary).ToList());
        });

        app.MapGet("/api/histories/most_recently_used", (HttpContext c, HistoryStore histories, UserStore users, GalaxyViews views) =>
        {
            var user = c.CurrentUser();
            // The one changed last: Galaxy's answer for a user of the API, who has no browser session.
            return histories.List(user.Id, deleted: false, published: null) is { Count: > 0 } list ? Results.Json(views.History(list[0], user)) : Results.Json<object?>(null);
        });

        app.MapPost("/api/histories/{id}/tags/{tag}", (HttpContext c, string id, string tag, Access access, HistoryService histories) =>
        {
            var h = access.WritableHistory(c.CurrentUser(), id);
            histories.AddTag(h, tag);
            return Results.Json(new Dictionary<string, object?> { ["model_class"] = "HistoryTagAssociation", ["id"] = id, ["user_tname"] = tag.Trim(), ["user_value"] = null });
        });

        app.MapPost("/api/histories/deleted/{id}/undelete", (HttpContext c, string id, Access access, HistoryService histories) =>
        {
            var h = access.WritableHistory(c.CurrentUser(), id);
            histories.Update(h, null, null, deleted: false, null);
            return Results.Json("OK");
        });

        app.MapGet("/api/histories/{id}", (HttpContext c, string id, Access access, UserStore users, GalaxyViews views) =>
        {
            var h = access.ReadableHistory(c.CurrentUserOrNull(), id);
            return Results.Json(views.History(h, users.Get(h.UserId)!));
        });

        app.MapPut("/api/histories/{id}", async (HttpContext c, string id, Access access, HistoryService histories, UserStore users, GalaxyViews views, ServerOptions o) =>
        {
            var h = access.History(c.CurrentUser(), id);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var updated = histories.Update(h, body.String("name"), body.String("annotation"), body.Bool("deleted"), body.Bool("published"), body.Strings("tags"));
            return Results.Json(views.History(updated, users.Get(h.UserId)!));
        });

        app.MapDelete("/api/histories/{id}", async (HttpContext c, string id, Access access, HistoryService histories, UserStore users, GalaxyViews views, ServerOptions o) =>
        {
            var h = access.History(c.CurrentUser(), id);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            bool purge = body.Bool("purge") ?? c.Request.QueryBool("purge") ?? false;
            return Results.Json(views.History(histories.Delete(h, purge), users.Get(h.UserId)!));
        });
        return app;
    }

    /// <summary>BioBlend's filters arrive as q/qv pairs: deleted (false unless given), published, slug, name; unknown ones are ignored.</summary>
    private static (bool? Deleted, bool? Published, Dictionary<string, string> Filters) ListFilters(HttpRequest request)
    {
        var filters = Filters(request);
        bool? deleted = filters.TryGetValue("deleted", out var d) ? bool.TryParse(d, out var db) ? db : throw ApiException.BadRequest($"deleted filter: '{d}'") : false;
        bool? published = filters.TryGetValue("published", out var p) ? bool.TryParse(p, out var pb) ? pb : throw ApiException.BadRequest($"published filter: '{p}'") : null;
        if (request.QueryBool("deleted") is { } qd) deleted = qd;
        return (deleted, published, filters);
    }

    private static IEnumerable<HistoryRecord> Filtered(IEnumerable<HistoryRecord> list, Dictionary<string, string> filters)
    {
        if (filters.TryGetValue("name", out var name)) list = list.Where(h => h.Name == name);
        if (filters.TryGetValue("slug", out var slug)) list = list.Where(h => h.Slug == slug);
        return list;
    }

    /// <summary>Galaxy's q/qv query filters as a dictionary (q=deleted&amp;qv=True gives deleted: True).</summary>
    public static Dictionary<string, string> Filters(HttpRequest request)
    {
        var q = request.Query["q"];
        var qv = request.Query["qv"];
        if (q.Count != qv.Count) throw ApiException.BadRequest($"the query has {q.Count} q and {qv.Count} qv parameters; they come in pairs");
        var filters = new Dictionary<string, string>();
        for (int i = 0; i < q.Count; i++) filters[q[i]!] = qv[i]!;
        return filters;
    }
}
