using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>Version, configuration and the current user.</summary>
public static class ConfigEndpoints
{
    public static IEndpointRouteBuilder MapConfigEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/version", (ServerOptions o) => Results.Json(new Dictionary<string, object?>
        {
            ["version_major"] = o.VersionMajor, ["version_minor"] = "0", ["extra"] = new Dictionary<string, object?> { ["server"] = "ganymede" },
        }));
        app.MapGet("/api/configuration", (ServerOptions o) => Results.Json(new Dictionary<string, object?>
        {
            ["version_major"] = o.VersionMajor, ["brand"] = "Ganymede", ["allow_user_creation"] = o.AllowRegistration,
            ["ftp_upload_site"] = null, ["chunk_upload_size"] = 10_000_000, ["upload_max_bytes"] = o.MaxUploadBytes,
            ["tus_upload"] = true, ["max_concurrent_jobs"] = o.MaxConcurrentJobs,
            // Accounts are local (e-mail and password, or a key); they are not deleted through the API.
            ["use_remote_user"] = false, ["allow_user_deletion"] = false,
        }));
        app.MapGet("/api/whoami", (HttpContext c, IdCodec ids, Quotas quotas) => Results.Json(User(c.CurrentUser(), ids, quotas)));
        app.MapGet("/api/users/current", (HttpContext c, IdCodec ids, Quotas quotas) => Results.Json(User(c.CurrentUser(), ids, quotas)));
        // An administrator sees every user, as in Galaxy; anyone else themself.
        app.MapGet("/api/users", (HttpContext c, IdCodec ids, UserStore users, Quotas quotas) =>
            Results.Json(c.CurrentUser() is { IsAdmin: true } ? users.All().Select(u => User(u, ids, quotas)).ToArray() : [User(c.CurrentUser(), ids, quotas)]));
        app.MapGet("/api/users/{id}", (HttpContext c, string id, IdCodec ids, UserStore users, Quotas quotas) =>
            Results.Json(User(Named(c, id, ids, users), ids, quotas)));
        // A new key (Galaxy's "get or create" also makes one: a key is stored hashed, so an existing one cannot be shown).
        app.MapMethods("/api/users/{id}/api_key", [HttpMethods.Get, HttpMethods.Post], (HttpContext c, string id, IdCodec ids, UserStore users, UserService accounts) =>
            Results.Json(accounts.KeyForApi(c.CurrentUser(), Named(c, id, ids, users))));
        // The form Galaxy shows a key in: ours are never shown again after they are made.
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
        // Galaxy's password sign-in for scripts: HTTP Basic e-mail and password in, an API key out.
        app.MapGet("/api/authenticate/baseauth", (HttpContext c, UserService accounts) =>
        {
            var header = c.Request.Headers.Authorization.ToString();
            string? decoded = null;
            // BioBlend sends the credentials without the "Basic" scheme, as Galaxy accepts them.
            var credentials = header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? header[6..] : header;
            try { decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(credentials.Trim())); } catch (FormatException) { }
            if (decoded?.Split(':', 2) is not [var email, var password]) throw new ApiException(401, 401001, "send your e-mail and password with HTTP Basic authentication");
            var user = accounts.SignIn(email, password) ?? throw new ApiException(401, 401001, "the e-mail address or the password is wrong");
            return Results.Json(new Dictionary<string, object?> { ["api_key"] = accounts.KeyForPassword(user) });
        });
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
            ["deleted"] = false, ["purged"] = false, ["active"] = true, ["preferences"] = new Dictionary<string, object?>(), ["tags_used"] = Array.Empty<string>(),
        };
    }
}
