using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Resumable uploads with the tus 1.0.0 protocol (creation, PATCH, HEAD, termination), as BioBlend uses them
/// for servers of version 22.01 and later. The bytes go to uploads/SESSION.part; POST /api/tools/fetch then
/// turns a complete session into a dataset. An interrupted PATCH keeps what arrived, so the client can resume.
/// </summary>
public static class UploadEndpoints
{
    private const string Root = "/api/upload/resumable_upload";
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new();

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

        app.MapPost(Root, (HttpContext c, UploadStore sessions, FileStore files, ServerOptions o) => Create(c, sessions, files, o));

        app.MapMethods(Root + "/{id}", ["HEAD"], (HttpContext c, string id, UploadStore sessions) =>
        {
            var session = Session(c, id, sessions);
            TusHeaders(c);
            c.Response.Headers["Upload-Offset"] = session.OffsetBytes.ToString(CultureInfo.InvariantCulture);
            c.Response.Headers["Upload-Length"] = session.Length.ToString(CultureInfo.InvariantCulture);
            c.Response.Headers.CacheControl = "no-store";
            return Results.Ok();
        });

        app.MapPatch(Root + "/{id}", async (HttpContext c, string id, UploadStore sessions, FileStore files) =>
        {
            var session = Session(c, id, sessions);
            if (c.Request.ContentType != "application/offset+octet-stream") throw new ApiException(415, 415001, "a tus PATCH needs Content-Type: application/offset+octet-stream");
            if (!long.TryParse(c.Request.Headers["Upload-Offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                throw ApiException.MissingParameter("a tus PATCH needs an Upload-Offset header");
            var gate = Locks.GetOrAdd(id, _ => new SemaphoreSlim(1));
            await gate.WaitAsync();
            try
            {
                session = sessions.Get(id)!;
                if (offset != session.OffsetBytes) throw new ApiException(409, 409001, $"Upload-Offset {offset} does not match the {session.OffsetBytes} bytes received so far");
                var path = files.UploadPath(id);
                long written = session.OffsetBytes;
                try
                {
                    await using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    file.Seek(written, SeekOrigin.Begin);
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = await c.Request.Body.ReadAsync(buffer, c.RequestAborted)) > 0)
                    {
                        if (written + n > session.Length) throw new ApiException(413, 413001, $"the upload is longer than the {session.Length:N0} bytes announced in Upload-Length");
                        await file.WriteAsync(buffer.AsMemory(0, n), c.RequestAborted);
                        written += n;
                    }
                    await file.FlushAsync(CancellationToken.None);
                }
                finally
                {
                    // What arrived stays (even from a broken connection): the client resumes from here.
                    sessions.SetOffset(id, written);
                }
                TusHeaders(c);
                c.Response.Headers["Upload-Offset"] = written.ToString(CultureInfo.InvariantCulture);
                return Results.NoContent();
            }
            finally
            {
                gate.Release();
            }
        });

        app.MapDelete(Root + "/{id}", (HttpContext c, string id, UploadStore sessions, FileStore files) =>
        {
            Session(c, id, sessions);
            sessions.Delete(id);
            File.Delete(files.UploadPath(id));
            TusHeaders(c);
            return Results.NoContent();
        });
        return app;
    }

    private static IResult Create(HttpContext c, UploadStore sessions, FileStore files, ServerOptions o)
    {
        var user = c.CurrentUser();
        if (!long.TryParse(c.Request.Headers["Upload-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            throw ApiException.MissingParameter("a tus upload needs an Upload-Length header (deferred lengths are not supported)");
        if (length > o.MaxUploadBytes) throw new ApiException(413, 413001, $"upload of {length:N0} bytes is larger than the server's limit of {o.MaxUploadBytes:N0}");
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        File.Create(files.UploadPath(id)).Dispose();
        sessions.Create(id, user.Id, length);
        TusHeaders(c);
        c.Response.Headers.Location = $"{Root}/{id}";
        return Results.StatusCode(201);
    }

    private static UploadRecord Session(HttpContext c, string id, UploadStore sessions)
    {
        var user = c.CurrentUser();
        var session = sessions.Get(id) ?? throw ApiException.NotFound($"upload session {id} not found");
        if (session.UserId != user.Id) throw ApiException.Forbidden($"upload session {id} belongs to another user");
        return session;
    }

    private static void TusHeaders(HttpContext c) => c.Response.Headers["Tus-Resumable"] = "1.0.0";
}
