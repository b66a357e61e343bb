using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Sharing, with Galaxy's endpoints and shapes: a history's link access, publishing and the users it is shared with;
/// the histories shared with the caller; a dataset's permissions (make private, publish, roles per action).
/// </summary>
public static class SharingEndpoints
{
    public static IEndpointRouteBuilder MapSharingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/histories/shared_with_me", (HttpContext c, SharingService sharing, GalaxyViews views) =>
            Results.Json(sharing.SharedWith(c.CurrentUser()).Select(views.HistorySummary).ToList()));

        app.MapGet("/api/histories/{id}/sharing", (HttpContext c, string id, Access access, SharingService sharing, IdCodec ids, UserStore users) =>
        {
            var h = access.History(c.CurrentUser(), id);
            return Results.Json(Status(sharing.Sharing(h), ids, users));
        });
        foreach (var (action, importable, published) in new (string, bool?, bool?)[]
                 { ("enable_link_access", true, null), ("disable_link_access", false, null), ("publish", null, true), ("unpublish", null, false) })
        {
            app.MapPut($"/api/histories/{{id}}/{action}", (HttpContext c, string id, Access access, SharingService sharing, IdCodec ids, UserStore users) =>
            {
                var user = c.CurrentUser();
                return Results.Json(Status(sharing.SetAccess(user, access.History(user, id), importable, published), ids, users));
            });
        }
        app.MapPut("/api/histories/{id}/share_with_users", async (HttpContext c, string id, Access access, SharingService sharing, IdCodec ids, UserStore users, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var history = access.History(user, id);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var names = body.Strings("user_ids") ?? throw ApiException.MissingParameter("user_ids (the users to share with, by id or e-mail) is required");
            var shared = sharing.ShareWith(user, history, names, name => ids.TryDecode(name, out var n) ? n : null);
            var view = Status(shared, ids, users);
            view["errors"] = shared.Errors;
            view["extra"] = null;
            return Results.Json(view);
        });

        app.MapGet("/api/datasets/{id}/permissions", (HttpContext c, string id, Access access, SharingService sharing, IdCodec ids) =>
        {
            var user = c.CurrentUser();
            var dataset = access.ReadableDataset(user, id);
            if (!sharing.MayManage(user, dataset)) throw ApiException.Forbidden("you may not manage this dataset's permissions");
            return Results.Json(Roles(sharing.DatasetRoles(dataset), ids));
        });
        app.MapPut("/api/datasets/{id}/permissions", async (HttpContext c, string id, Access access, SharingService sharing, IdCodec ids, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var dataset = access.ReadableDataset(user, id);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var given = new Dictionary<string, IReadOnlyList<long>>();
            foreach (var what in new[] { Permission.Access, Permission.Manage, Permission.Modify })
                if (body.Strings(what) is { } roles) given[what] = access.DecodeAll("role", roles);
            sharing.SetDatasetPermissions(user, dataset, body.String("action") ?? c.Request.Query["action"].LastOrDefault(), given);
            return Results.Json(Roles(sharing.DatasetRoles(dataset), ids));
        });
        return app;
    }

    private static Dictionary<string, object?> Status(HistorySharing s, IdCodec ids, UserStore users)
    {
        var owner = users.Get(s.History.UserId);
        return new()
        {
            ["id"] = ids.Encode(s.History.Id), ["title"] = s.History.Name, ["importable"] = s.History.Importable || s.History.Published, ["published"] = s.History.Published,
            ["users_shared_with"] = s.Users.Select(u => new Dictionary<string, object?> { ["id"] = ids.Encode(u.Id), ["email"] = u.Email }).ToList(),
            ["username_and_slug"] = s.History.Slug is null ? null : $"u/{owner?.Username}/h/{s.History.Slug}",
        };
    }

    /// <summary>Galaxy's DatasetAssociationRoles: for each action, [name, id] of each role.</summary>
    private static Dictionary<string, object?> Roles(IReadOnlyDictionary<string, IReadOnlyList<RoleInfo>> roles, IdCodec ids) => new()
    {
        ["access_dataset_roles"] = Pairs(roles[Permission.Access], ids),
        ["manage_dataset_roles"] = Pairs(roles[Permission.Manage], ids),
        ["modify_item_roles"] = Pairs(roles[Permission.Modify], ids),
    };

    private static List<string[]> Pairs(IEnumerable<RoleInfo> roles, IdCodec ids) => roles.Select(r => new[] { r.Name, ids.Encode(r.Number) }).ToList();
}
