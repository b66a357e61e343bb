using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Users: the current one, every one for an administrator (deleted ones on request), create, update, API keys, and an
/// administrator's delete, purge and undelete.
/// </summary>
public static class UserEndpoints
{
    public static IEndpointRouteBuilder MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/whoami", (HttpContext c, IdCodec ids, Quotas quotas) => Results.Json(User(c.CurrentUser(), ids, quotas)));
        app.MapGet("/api/users/current", (HttpContext c, IdCodec ids, Quotas quotas) => Results.Json(User(c.CurrentUser(), ids, quotas)));
        // An administrator sees every user, as in Galaxy; anyone else themself.
        app.MapGet("/api/users", (HttpContext c, IdCodec ids, UserStore users, Quotas quotas) =>
            Results.Json(c.CurrentUser() is { IsAdmin: true } ? users.All(c.Request.QueryBool("deleted") ?? false).Select(u => User(u, ids, quotas)).ToArray() : [User(c.CurrentUser(), ids, quotas)]));
        app.MapGet("/api/users/{id}", (HttpContext c, string id, IdCodec ids, UserStore users, Quotas quotas) =>
            Results.Json(User(Named(c, id, ids, users), ids, quotas)));
        // A new key (Galaxy's "get or create" also makes one: a key is stored hashed, so an existing one cannot be shown).
        app.MapMethods("/api/users/{id}/api_key", [HttpMethods.Get, HttpMethods.Post], (HttpContext c, string id, IdCodec ids, UserStore users, UserService accounts) =>
            Results.Json(accounts.KeyForApi(c.CurrentUser(), Named(c, id, ids, users))));
        // The form Galaxy shows a key in: ours are never shown again after they are made.
        app.MapDelete("/api/users/{id}/api_key", (HttpContext c, string id, IdCodec ids, UserStore users, UserService accounts) =>
        {
            accounts.RevokeKeys(c.CurrentUser(), Named(c, id, ids, users));
            return Results.NoContent();
        });
        app.MapGet("/api/users/{id}/api_key/inputs", (HttpContext c, string id, IdCodec ids, UserStore users) =>
        {
            Named(c, id, ids, users);
            return Results.Json(new Dictionary<string, object?>
            {
                ["inputs"] = new[] { new Dictionary<string, object?> { ["name"] = "api-key", ["type"] = "text", ["label"] = "Current API key:", ["value"] = "Not available.", ["readonly"] = true } },
            });
        });
        app.MapPost("/api/users", async (HttpContext c, IdCodec ids, UserService accounts, Quotas quotas, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var user = accounts.Create(c.CurrentUser(), body.String("email") ?? throw ApiException.MissingParameter("email is required"),
                body.String("password") ?? throw ApiException.MissingParameter("password is required"), username: body.String("username"));
            return Results.Json(User(user, ids, quotas));
        });
        app.MapPut("/api/users/{id}", async (HttpContext c, string id, IdCodec ids, UserStore users, UserService accounts, Quotas quotas, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(User(accounts.Update(c.CurrentUser(), Named(c, id, ids, users), body.String("email"), body.String("username")), ids, quotas));
        });
        // The user preferences form's endpoint, which BioBlend's update_user calls.
        app.MapPut("/api/users/{id}/information/inputs", async (HttpContext c, string id, IdCodec ids, UserStore users, UserService accounts, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            accounts.Update(c.CurrentUser(), Named(c, id, ids, users), body.String("email"), body.String("username"));
            return Results.Json(new Dictionary<string, object?> { ["message"] = "User information has been saved." });
        });
        app.MapDelete("/api/users/{id}", async (HttpContext c, string id, IdCodec ids, UserStore users, UserService accounts, Quotas quotas, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            bool purge = body.Bool("purge") ?? c.Request.QueryBool("purge") ?? false;
            return Results.Json(User(accounts.Delete(c.CurrentUser(), Named(c, id, ids, users), purge), ids, quotas));
        });
        app.MapPost("/api/users/deleted/{id}/undelete", (HttpContext c, string id, IdCodec ids, UserStore users, UserService accounts, Quotas quotas) =>
            Results.Json(User(accounts.Undelete(c.CurrentUser(), Named(c, id, ids, users)), ids, quotas)));
        return app;
    }

    /// <summary>The user an URL names ("current", or an id): the caller, or anyone for an administrator.</summary>
    private static UserRecord Named(HttpContext c, string id, IdCodec ids, UserStore users)
    {
        var user = c.CurrentUser();
        if (id == "current") return user;
        if (!ids.TryDecode(id, out var value)) throw ApiException.MalformedId("user", id);
        if (value != user.Id && !user.IsAdmin) throw ApiException.Forbidden($"user {id} is not you");
        return users.Get(value) ?? throw ApiException.NotFound($"user {id} not found");
    }

    /// <summary>Galaxy's user view; the quota fields as Galaxy shows them ("unlimited" and a null percentage without a storage quota).</summary>
    private static Dictionary<string, object?> User(UserRecord u, IdCodec ids, Quotas quotas)
    {
        var use = quotas.Use(u);
        var (usage, quota) = (use.StoredBytes, use.Quota);
        return new()
        {
            ["id"] = ids.Encode(u.Id), ["model_class"] = "User", ["email"] = u.Email, ["username"] = u.Username, ["is_admin"] = u.IsAdmin,
            ["total_disk_usage"] = usage, ["nice_total_disk_usage"] = GalaxyViews.NiceSize(usage),
            ["quota"] = quota.StorageBytes is { } bytes ? GalaxyViews.NiceSize(bytes) : "unlimited", ["quota_bytes"] = quota.StorageBytes,
            ["quota_percent"] = use.Percent, ["job_quota"] = quota.Jobs,
            ["deleted"] = u.Deleted, ["purged"] = u.Purged, ["active"] = !u.Deleted, ["preferences"] = new Dictionary<string, object?>(), ["tags_used"] = Array.Empty<string>(),
        };
    }
}
