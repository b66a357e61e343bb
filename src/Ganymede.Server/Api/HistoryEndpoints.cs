using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>Histories: create, list, show, update, delete (and purge).</summary>
public static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/histories", async (HttpContext c, HistoryService histories, GalaxyViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(views.History(histories.Create(user, body.String("name")), user));
        });

        // BioBlend's filters arrive as q/qv pairs: deleted, published, slug, name; unknown ones are ignored.
        app.MapGet("/api/histories", (HttpContext c, HistoryStore histories, GalaxyViews views) =>
        {
            var user = c.CurrentUser();
            var filters = Filters(c.Request);
            bool? deleted = filters.TryGetValue("deleted", out var d) ? bool.TryParse(d, out var db) ? db : throw ApiException.BadRequest($"deleted filter: '{d}'") : false;
            bool? published = filters.TryGetValue("published", out var p) ? bool.TryParse(p, out var pb) ? pb : throw ApiException.BadRequest($"published filter: '{p}'") : null;
            if (c.Request.QueryBool("deleted") is { } qd) deleted = qd;
            var list = histories.List(user.Id, deleted, published).AsEnumerable();
            if (filters.TryGetValue("name", out var name)) list = list.Where(h => h.Name == name);
            if (filters.ContainsKey("slug")) list = [];
            return Results.Json(list.Select(views.HistorySummary).ToList());
        });

        app.MapGet("/api/histories/{id}", (HttpContext c, string id, Access access, UserStore users, GalaxyViews views) =>
        {
            var h = access.History(c.CurrentUser(), id);
            return Results.Json(views.History(h, users.Get(h.UserId)!));
        });

        app.MapPut("/api/histories/{id}", async (HttpContext c, string id, Access access, HistoryService histories, UserStore users, GalaxyViews views, ServerOptions o) =>
        {
            var h = access.History(c.CurrentUser(), id);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var updated = histories.Update(h, body.String("name"), body.String("annotation"), body.Bool("deleted"), body.Bool("published"));
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
