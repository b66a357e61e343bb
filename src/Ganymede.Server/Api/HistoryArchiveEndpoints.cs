using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Histories as Galaxy history archives: export (PUT answers 202 while the archive is written, 200 with its
/// download URL once it is), list the exports, download one. Imports arrive at POST /api/histories (<see cref="HistoryEndpoints"/>).
/// </summary>
public static class HistoryArchiveEndpoints
{
    public static IEndpointRouteBuilder MapHistoryArchiveEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/histories/{id}/exports", (HttpContext c, string id, Access access, HistoryArchives archives, IdCodec ids) =>
        {
            var user = c.CurrentUser();
            var history = access.History(user, id);
            var r = c.Request;
            var export = archives.Export(user, history, new ExportOptions(r.QueryBool("gzip") ?? true, r.QueryBool("include_hidden") ?? false, r.QueryBool("include_deleted") ?? false));
            return Results.Json(View(export, id, archives, ids), statusCode: export.State == "ok" ? 200 : 202);
        });
        app.MapGet("/api/histories/{id}/exports", (HttpContext c, string id, Access access, HistoryArchives archives, HistoryExportStore exports, IdCodec ids) =>
        {
            var history = access.History(c.CurrentUser(), id);
            return Results.Json(exports.List(history.Id).Select(e => View(e, id, archives, ids)).ToList());
        });
        app.MapGet("/api/histories/{id}/exports/{exportId}", (HttpContext c, string id, string exportId, Access access, HistoryArchives archives, HistoryExportStore exports) =>
        {
            var history = access.History(c.CurrentUser(), id);
            var export = exports.Get(access.Decode("export", exportId)) is { } e && e.HistoryId == history.Id ? e : throw ApiException.NotFound($"export {exportId} of history {id} not found");
            if (export.State != "ok" || !File.Exists(archives.FileOf(export)))
                throw ApiException.BadRequest(export.State == "error" ? $"the export failed: {export.Info}" : "the export is not ready yet: ask again in a moment");
            bool gzip = export.Options.Split(',').Contains("gzip");
            var safe = new string(history.Name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').Take(100).ToArray());
            c.Response.Headers.ContentDisposition = $"attachment; filename=\"Galaxy-History-{safe}.tar{(gzip ? ".gz" : "")}\"";
            return Results.File(archives.FileOf(export), gzip ? "application/gzip" : "application/x-tar", enableRangeProcessing: true);
        });
        return app;
    }

    private static Dictionary<string, object?> View(HistoryExportRecord e, string historyId, HistoryArchives archives, IdCodec ids) => new()
    {
        ["id"] = ids.Encode(e.Id), ["job_id"] = ids.Encode(e.Id), ["ready"] = e.State == "ok", ["preparing"] = e.State == "new",
        ["up_to_date"] = archives.UpToDate(e), ["error"] = e.State == "error" ? e.Info : null, ["create_time"] = e.CreateTime,
        ["download_url"] = $"/api/histories/{historyId}/exports/{ids.Encode(e.Id)}", ["export_metadata"] = new Dictionary<string, object?> { ["options"] = e.Options },
    };
}
