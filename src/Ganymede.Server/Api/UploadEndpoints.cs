using System.Globalization;
using Ganymede.Server.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Resumable uploads with the tus 1.0.0 protocol (creation, PATCH, HEAD, termination), as BioBlend uses them
/// for servers of version 22.01 and later (<see cref="TusUploads"/> keeps the sessions); POST /api/tools/fetch then
/// turns a complete session into a dataset.
/// </summary>
public static class UploadEndpoints
{
    private const string Root = "/api/upload/resumable_upload";

    public static IEndpointRouteBuilder MapUploadEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Root, ["OPTIONS"], (HttpContext c, ServerOptions o) =>
        {
            TusHeaders(c);
            c.Response.Headers["Tus-Version"] = "1.0.0";
            c.Response.Headers["Tus-Extension"] = "creation,termination";
            c.Response.Headers["Tus-Max-Size"] = o.MaxUploadBytes.ToString(CultureInfo.InvariantCulture);
            return Results.NoContent();
        });

        app.MapPost(Root, (HttpContext c, TusUploads uploads) =>
        {
            var user = c.CurrentUser();
            if (!long.TryParse(c.Request.Headers["Upload-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                throw ApiException.MissingParameter("a tus upload needs an Upload-Length header (deferred lengths are not supported)");
            var id = uploads.Create(user, length);
            TusHeaders(c);
            c.Response.Headers.Location = $"{Root}/{id}";
            return Results.StatusCode(201);
        });

        app.MapMethods(Root + "/{id}", ["HEAD"], (HttpContext c, string id, Access access) =>
        {
            var session = access.UploadSession(c.CurrentUser(), id);
            TusHeaders(c);
            c.Response.Headers["Upload-Offset"] = session.OffsetBytes.ToString(CultureInfo.InvariantCulture);
            c.Response.Headers["Upload-Length"] = session.Length.ToString(CultureInfo.InvariantCulture);
            c.Response.Headers.CacheControl = "no-store";
            return Results.Ok();
        });

        app.MapPatch(Root + "/{id}", async (HttpContext c, string id, Access access, TusUploads uploads) =>
        {
            var session = access.UploadSession(c.CurrentUser(), id);
            if (c.Request.ContentType != "application/offset+octet-stream") throw new ApiException(415, 415001, "a tus PATCH needs Content-Type: application/offset+octet-stream");
            if (!long.TryParse(c.Request.Headers["Upload-Offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                throw ApiException.MissingParameter("a tus PATCH needs an Upload-Offset header");
            long written = await uploads.AppendAsync(session, offset, c.Request.Body, c.RequestAborted);
            TusHeaders(c);
            c.Response.Headers["Upload-Offset"] = written.ToString(CultureInfo.InvariantCulture);
            return Results.NoContent();
        });

        app.MapDelete(Root + "/{id}", (HttpContext c, string id, Access access, TusUploads uploads) =>
        {
            uploads.Delete(access.UploadSession(c.CurrentUser(), id));
            TusHeaders(c);
            return Results.NoContent();
        });
        return app;
    }

    private static void TusHeaders(HttpContext c) => c.Response.Headers["Tus-Resumable"] = "1.0.0";
}
