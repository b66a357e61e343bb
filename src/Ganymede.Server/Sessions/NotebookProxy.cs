using System.Net;
using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Ganymede.Server.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace Ganymede.Server.Sessions;

/// <summary>
/// /interactivetool/ep/{id}/…: HTTP and WebSockets forwarded to a running session's notebook server, for its owner
/// only (a signed-in browser, or an API key in x-api-key or ?key=), or for a remote front end with the session's own
/// access token. Jupyter's token is added here, so the user never types it; Ganymede's cookie, key and the session's
/// token are not passed on. A WebSocket must come from a page of this server.
/// Another user's session, or one that is not running, answers 403 or 404 and never reaches a notebook server.
/// </summary>
public static class NotebookProxy
{
    private static readonly ForwarderRequestConfig Forwarding = new() { ActivityTimeout = TimeSpan.FromMinutes(30) };

    public static IEndpointRouteBuilder MapNotebookProxy(this IEndpointRouteBuilder app)
    {
        app.Map("/interactivetool/ep/{id}/{**rest}", async (HttpContext c, string id, IHttpForwarder forwarder, UserStore users, JobStore jobs,
            Access access, NotebookSessions sessions) =>
        {
            var job = await AuthoriseAsync(c, id, users, jobs, access, sessions);
            if (!sessions.IsListening(job))
                throw ApiException.NotFound(JobStates.IsTerminal(job.State) ? $"session {id} has ended ({job.State})" : $"session {id} is still starting; try again in a moment");
            if (IsUpgrade(c) && !SameOrigin(c)) throw ApiException.Forbidden("a notebook's WebSocket must be opened from this server's pages");
            using var client = sessions.Client(job.Id);
            var error = await forwarder.SendAsync(c, "http://localhost", client, Forwarding, new SessionTransformer(sessions.Token(job.Id) ?? ""));
            if (error != ForwarderError.None && !c.Response.HasStarted)
                throw new ApiException(502, 502001, $"the session's notebook server did not answer ({error})");
        });
        return app;
    }

    /// <summary>
    /// The session, if the caller may use it: with the session's own access token (what a remote front end is given;
    /// it opens this session and nothing else), or as its owner by API key or by the browser's sign-in.
    /// </summary>
    private static async Task<JobRecord> AuthoriseAsync(HttpContext c, string id, UserStore users, JobStore jobs, Access access, NotebookSessions sessions)
    {
        JobRecord job;
        if (AccessToken(c) is { } token)
        {
            job = jobs.Get(access.Decode("job", id)) ?? throw ApiException.NotFound($"session {id} not found");
            if (!sessions.IsSession(job) || !sessions.HasAccessToken(job.Id, token)) throw ApiException.Forbidden($"that token does not open session {id}");
            return job;
        }
        var user = await WhoAsync(c, users) ?? throw new ApiException(403, 403001, "sign in, or send your API key or the session's token, to open a notebook session");
        job = access.Job(user, id);
        if (job.UserId != user.Id) throw ApiException.Forbidden($"session {id} belongs to another user");
        if (!sessions.IsSession(job)) throw ApiException.NotFound($"job {id} is not a notebook session");
        return job;
    }

    /// <summary>A token as Jupyter's clients send it: "Authorization: token T", or ?token=T (a WebSocket cannot set headers in a browser).</summary>
    private static string? AccessToken(HttpContext c)
    {
        var header = c.Request.Headers.Authorization.FirstOrDefault();
        if (header is not null && header.StartsWith("token ", StringComparison.OrdinalIgnoreCase)) return header["token ".Length..].Trim();
        return c.Request.Query["token"].FirstOrDefault() is { Length: > 0 } query ? query : null;
    }

    /// <summary>The caller: by API key (header or query, as the API takes it), else by the browser's session.</summary>
    private static async Task<UserRecord?> WhoAsync(HttpContext c, UserStore users)
    {
        string? key = c.Request.Headers["x-api-key"].FirstOrDefault() ?? c.Request.Query["key"].FirstOrDefault();
        if (!string.IsNullOrEmpty(key)) return users.FindByApiKey(key);
        // The cookie is SameSite=Strict: a page elsewhere cannot send it, so the notebook's own requests need no token of ours.
        return await WebPages.SignedInUserAsync(c, users);
    }

    private static bool IsUpgrade(HttpContext c) => c.Request.Headers.Upgrade.Any(u => string.Equals(u, "websocket", StringComparison.OrdinalIgnoreCase));

    /// <summary>A WebSocket from a browser says where its page came from; only this server's own pages may open one.</summary>
    private static bool SameOrigin(HttpContext c)
    {
        var origin = c.Request.Headers.Origin.FirstOrDefault();
        return origin is null || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, c.Request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The request as the notebook server should see it: its token in place of Ganymede's cookie and key.</summary>
    private sealed class SessionTransformer(string token) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Remove("Cookie");
            proxyRequest.Headers.Remove("x-api-key");
            proxyRequest.Headers.Authorization = new("token", token);
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, httpContext.Request.Path,
                QueryString.Create(httpContext.Request.Query.Where(q => q.Key is not ("key" or "token"))));
        }
    }
}
