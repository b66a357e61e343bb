using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>Version, configuration and the password sign-in.</summary>
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
            // Accounts are local (e-mail and password, or a key); administrators delete and purge them.
            ["use_remote_user"] = false, ["allow_user_deletion"] = true,
        }));
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
}
