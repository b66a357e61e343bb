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
            ["version_major"] = o.VersionMajor, ["brand"] = "Ganymede", ["allow_user_creation"] = false,
            ["ftp_upload_site"] = null, ["chunk_upload_size"] = 10_000_000, ["upload_max_bytes"] = o.MaxUploadBytes,
            ["tus_upload"] = true, ["max_concurrent_jobs"] = o.MaxConcurrentJobs,
        }));
        app.MapGet("/api/whoami", (HttpContext c, IdCodec ids) => Results.Json(User(c.CurrentUser(), ids, null, null)));
        app.MapGet("/api/users/current", (HttpContext c, IdCodec ids, UserStore users, Quotas quotas) => Results.Json(User(c.CurrentUser(), ids, users, quotas)));
        app.MapGet("/api/users", (HttpContext c, IdCodec ids, UserStore users, Quotas quotas) => Results.Json(new[] { User(c.CurrentUser(), ids, users, quotas) }));
        app.MapGet("/api/users/{id}", (HttpContext c, string id, IdCodec ids, UserStore users, Quotas quotas) =>
        {
            var user = c.CurrentUser();
            if (id == "current") return Results.Json(User(user, ids, users, quotas));
            if (!ids.TryDecode(id, out var value)) throw ApiException.MalformedId("user", id);
            if (value != user.Id && !user.IsAdmin) throw ApiException.Forbidden($"user {id} is not you");
            return Results.Json(User(users.Get(value) ?? throw ApiException.NotFound($"user {id} not found"), ids, users, quotas));
        });
        // Ganymede has no passwords: keys come from `ganymede users create`.
        app.MapGet("/api/authenticate/baseauth", () =>
            Results.Json(new Dictionary<string, object?> { ["err_msg"] = "this server authenticates by API key only; create one with 'ganymede users create'", ["err_code"] = 401001 }, statusCode: 401));
        return app;
    }

    /// <summary>Galaxy's user view; the quota fields as Galaxy shows them ("unlimited" and a null percentage without a storage quota).</summary>
    private static Dictionary<string, object?> User(UserRecord u, IdCodec ids, UserStore? users, Quotas? quotas)
    {
        long usage = users?.DiskUsage(u.Id) ?? 0;
        var quota = quotas?.For(u) ?? UserQuota.Unlimited;
        return new()
        {
            ["id"] = ids.Encode(u.Id), ["model_class"] = "User", ["email"] = u.Email, ["username"] = u.Username, ["is_admin"] = u.IsAdmin,
            ["total_disk_usage"] = usage, ["nice_total_disk_usage"] = GalaxyViews.NiceSize(usage),
            ["quota"] = quota.StorageBytes is { } bytes ? GalaxyViews.NiceSize(bytes) : "unlimited", ["quota_bytes"] = quota.StorageBytes,
            ["quota_percent"] = quota.StorageBytes is { } b ? (int)Math.Min(100, usage * 100 / b) : null, ["job_quota"] = quota.Jobs,
            ["deleted"] = false, ["purged"] = false, ["active"] = true, ["preferences"] = new Dictionary<string, object?>(), ["tags_used"] = Array.Empty<string>(),
        };
    }
}
