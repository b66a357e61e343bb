using System.IO.Compression;
using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>
/// Data libraries: list, create, show, update, delete; their contents (folders, uploads, datasets copied from a
/// history); permissions; library datasets (update, permissions, download).
/// </summary>
public static class LibraryEndpoints
{
    private static readonly string[] LibraryActions = [Permission.Access, Permission.Modify, Permission.Add, Permission.Manage];
    private static readonly string[] DatasetActions = [Permission.Access, Permission.Modify, Permission.Manage];

    public static IEndpointRouteBuilder MapLibraryEndpoints(this IEndpointRouteBuilder app)
    {
        // BioBlend sends deleted=False by default; without it, every library (Galaxy's deleted=None).
        app.MapGet("/api/libraries", (HttpContext c, LibraryService libraries, LibraryViews views) =>
        {
            var user = c.CurrentUser();
            return Results.Json(libraries.Visible(user, c.Request.QueryBool("deleted")).Select(l => views.Library(l, user)).ToList());
        });
        app.MapPost("/api/libraries", async (HttpContext c, LibraryService libraries, LibraryViews views, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(views.Library(libraries.Create(user, body.String("name"), body.String("description"), body.String("synopsis")), user));
        });
        app.MapGet("/api/libraries/{id}", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            return Results.Json(views.Library(libraries.Library(user, access.Decode("library", id)), user));
        });
        app.MapMethods("/api/libraries/{id}", [HttpMethods.Patch, HttpMethods.Put], async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var library = libraries.Library(user, access.Decode("library", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(views.Library(libraries.Update(user, library, body.String("name"), body.String("description"), body.String("synopsis"), null), user));
        });
        app.MapDelete("/api/libraries/{id}", async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var library = libraries.Library(user, access.Decode("library", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            bool undelete = body.Bool("undelete") ?? c.Request.QueryBool("undelete") ?? false;
            return Results.Json(views.Library(libraries.Update(user, library, null, null, null, deleted: !undelete), user));
        });

        app.MapGet("/api/libraries/{id}/contents", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            return Results.Json(views.Contents(libraries.Library(user, access.Decode("library", id)), user));
        });
        app.MapPost("/api/libraries/{id}/contents", async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, FileStore files, UploadService uploads, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var library = libraries.Library(user, access.Decode("library", id));
            bool multipart = c.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true;
            var (body, parts) = multipart ? await MultipartForm.ReadAsync(c.Request.ContentType, c.Request.Body, files, o, c.RequestAborted) : (await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes), []);
            try
            {
                var folder = body.String("folder_id") is { } folderId ? libraries.Folder(user, views.DecodeFolder(access, folderId)) : null;
                if (folder is not null && folder.LibraryId != library.Id) throw ApiException.BadRequest("the folder is in another library");
                folder ??= libraries.RootFolder(library);
                return Results.Json(AddContents(user, folder, body, parts, libraries, views, access, uploads));
            }
            finally
            {
                foreach (var part in parts.Values) File.Delete(part.Path);
            }
        });
        app.MapGet("/api/libraries/{id}/contents/{itemId}", (HttpContext c, string id, string itemId, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            var library = libraries.Library(user, access.Decode("library", id));
            if (itemId.StartsWith('F')) return Results.Json(views.Folder(InLibrary(libraries.Folder(user, views.DecodeFolder(access, itemId)), library)));
            return Results.Json(views.Dataset(InLibrary(libraries.Dataset(user, access.Decode("library dataset", itemId)), library), user));
        });
        app.MapDelete("/api/libraries/{id}/contents/{itemId}", async (HttpContext c, string id, string itemId, LibraryService libraries, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var library = libraries.Library(user, access.Decode("library", id));
            var dataset = InLibrary(libraries.Dataset(user, access.Decode("library dataset", itemId)), library);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var deleted = libraries.DeleteDataset(user, dataset, body.Bool("purged") ?? c.Request.QueryBool("purged") ?? false, body.Bool("undelete") ?? false);
            return Results.Json(new Dictionary<string, object?> { ["id"] = itemId, ["deleted"] = deleted.Deleted, ["purged"] = deleted.Purged });
        });

        app.MapGet("/api/libraries/{id}/permissions", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            var library = libraries.Library(user, access.Decode("library", id));
            return Results.Json(LibraryPermissions(libraries.Permissions(user, Permission.Library, library.Id, LibraryActions), views));
        });
        app.MapPost("/api/libraries/{id}/permissions", async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var library = libraries.Library(user, access.Decode("library", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            // Galaxy sets all four from one request: a list not sent is emptied.
            libraries.SetPermissions(user, Permission.Library, library.Id, new Dictionary<string, IReadOnlyList<long>>
            {
                [Permission.Access] = RoleIds(body, access, "LIBRARY_ACCESS_in", "access_ids[]"), [Permission.Modify] = RoleIds(body, access, "LIBRARY_MODIFY_in", "modify_ids[]"),
                [Permission.Add] = RoleIds(body, access, "LIBRARY_ADD_in", "add_ids[]"), [Permission.Manage] = RoleIds(body, access, "LIBRARY_MANAGE_in", "manage_ids[]"),
            });
            return Results.Json(LibraryPermissions(libraries.Permissions(user, Permission.Library, library.Id, LibraryActions), views));
        });

        app.MapMethods("/api/libraries/datasets/{id}", [HttpMethods.Patch, HttpMethods.Put], async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var dataset = libraries.Dataset(user, access.Decode("library dataset", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var updated = libraries.UpdateDataset(user, dataset, body.String("name"), body.String("misc_info"), body.String("genome_build"), body.Strings("tags"));
            return Results.Json(views.Dataset(updated, user));
        });
        app.MapGet("/api/libraries/datasets/{id}", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            return Results.Json(views.Dataset(libraries.Dataset(user, access.Decode("library dataset", id)), user));
        });
        app.MapGet("/api/libraries/datasets/{id}/permissions", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            var dataset = libraries.Dataset(user, access.Decode("library dataset", id));
            return Results.Json(DatasetPermissions(libraries.Permissions(user, Permission.Dataset, dataset.Id, DatasetActions), views));
        });
        app.MapPost("/api/libraries/datasets/{id}/permissions", async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var dataset = libraries.Dataset(user, access.Decode("library dataset", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var roles = body.String("action") switch
            {
                null or "set_permissions" => new Dictionary<string, IReadOnlyList<long>>
                {
                    [Permission.Access] = RoleIds(body, access, "access_ids[]", "access_ids"), [Permission.Modify] = RoleIds(body, access, "modify_ids[]", "modify_ids"),
                    [Permission.Manage] = RoleIds(body, access, "manage_ids[]", "manage_ids"),
                },
                "make_private" => new Dictionary<string, IReadOnlyList<long>> { [Permission.Access] = [user.Id] },
                "remove_restrictions" => new Dictionary<string, IReadOnlyList<long>> { [Permission.Access] = [] },
                var other => throw ApiException.BadRequest($"unknown action '{other}' (set_permissions, make_private or remove_restrictions)"),
            };
            libraries.SetPermissions(user, Permission.Dataset, dataset.Id, roles);
            return Results.Json(DatasetPermissions(libraries.Permissions(user, Permission.Dataset, dataset.Id, DatasetActions), views));
        });
        app.MapGet("/api/libraries/datasets/download/{format}", (HttpContext c, string format, LibraryService libraries, Access access) => Download(c, format, libraries, access));
        return app;
    }

    /// <summary>What POST .../contents makes: a folder, uploaded or pasted files, files from the server's disk, or a history dataset's copy.</summary>
    private static object AddContents(UserRecord user, FolderRecord folder, JsonObject body, Dictionary<string, MultipartForm.UploadedPart> parts,
        LibraryService libraries, LibraryViews views, Access access, UploadService uploads)
    {
        var tags = body.Strings("tags") ?? [];
        var fileType = body.String("file_type");
        List<Dictionary<string, object?>> Listed(IEnumerable<LibraryDatasetRecord> added) =>
            added.Select(d => LibraryViews.Item(views.Id(d.Id), d.Name, "file", $"/api/libraries/{views.Id(d.LibraryId)}/contents/{views.Id(d.Id)}")).ToList();
        switch (body.String("create_type"))
        {
            case "folder":
                var created = libraries.CreateFolder(user, folder, body.String("name"), body.String("description"));
                return new[] { LibraryViews.Item(views.FolderId(created.Id), created.Name, "folder", $"/api/folders/{views.FolderId(created.Id)}") };
            case "file" when body.String("from_hda_id") is { } hdaId:
                var copy = libraries.CopyFromHistory(user, folder, access.Dataset(user, hdaId), body.String("ldda_message") ?? "");
                return views.Dataset(copy, user);
            case "file":
                switch (body.String("upload_option") ?? "upload_file")
                {
                    case "upload_file" when parts.TryGetValue("files_0|file_data", out var part):
                        parts.Remove("files_0|file_data");
                        return Listed([libraries.AddFile(user, folder, part.Path, part.Sha256, part.FileName, fileType, tags)]);
                    case "upload_file":
                        var paste = body.String("files_0|url_paste") ?? throw ApiException.MissingParameter("upload_file needs files_0|file_data or files_0|url_paste");
                        UploadService.RefuseUrls(paste);
                        var (path, sha, name) = uploads.Pasted(paste);
                        return Listed([libraries.AddFile(user, folder, path, sha, name, fileType, tags)]);
                    case "upload_paths":
                        var paths = (body.String("filesystem_paths") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                        return Listed(libraries.AddServerFiles(user, folder, paths, body.String("link_data_only") == "link_to_files", fileType, tags));
                    case var other:
                        throw ApiException.BadRequest($"upload_option '{other}' is not supported here (upload_file or upload_paths)");
                }
            case var other:
                throw ApiException.BadRequest($"create_type '{other}': expected folder or file");
        }
    }

    /// <summary>The datasets' bytes: one as it is ("uncompressed"), or several in a zip archive.</summary>
    private static async Task Download(HttpContext c, string format, LibraryService libraries, Access access)
    {
        var user = c.CurrentUser();
        // python-requests sends BioBlend's "ld_ids%5B%5D" key encoded once more; browsers send "ld_ids[]".
        var requested = new[] { "ld_ids[]", "ld_ids%5B%5D", "ld_ids", "ldda_ids[]", "ldda_ids%5B%5D" }.SelectMany(k => c.Request.Query[k]).ToList();
        if (requested.Count == 0) throw ApiException.MissingParameter("name the datasets to download with ld_ids[]");
        var datasets = requested.Select(id => libraries.Dataset(user, access.Decode("library dataset", id))).ToList();
        foreach (var d in datasets)
            if (d.Purged || !File.Exists(libraries.FilePath(d))) throw ApiException.NotFound($"dataset '{d.Name}' has no file ({(d.Purged ? "purged" : d.State)})");
        switch (format)
        {
            case "uncompressed" when datasets.Count == 1:
                var d = datasets[0];
                c.Response.Headers.ContentDisposition = $"attachment; filename=\"{SafeName(d.Name)}\"";
                await Results.File(libraries.FilePath(d), "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(c);
                return;
            case "uncompressed":
                throw ApiException.BadRequest("several datasets download as a zip archive: use /api/libraries/datasets/download/zip");
            case "zip":
                c.Response.ContentType = "application/zip";
                c.Response.Headers.ContentDisposition = "attachment; filename=\"selected_library_files.zip\"";
                await using (var zip = new ZipArchive(c.Response.BodyWriter.AsStream(), ZipArchiveMode.Create, leaveOpen: true))
                {
                    foreach (var (dataset, i) in datasets.Select((x, i) => (x, i)))
                    {
                        var entry = zip.CreateEntry($"{i + 1}_{SafeName(dataset.Name)}", CompressionLevel.Fastest);
                        await using var target = await entry.OpenAsync(c.RequestAborted);
                        await using var source = File.OpenRead(libraries.FilePath(dataset));
                        await source.CopyToAsync(target, c.RequestAborted);
                    }
                }
                return;
            default:
                throw ApiException.BadRequest($"download format '{format}': expected uncompressed or zip");
        }
    }

    private static string SafeName(string name) => new(name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' or '_' ? ch : '_').Take(150).ToArray());

    private static T InLibrary<T>(T item, LibraryRecord library) where T : class =>
        item switch
        {
            FolderRecord f when f.LibraryId == library.Id => item,
            LibraryDatasetRecord d when d.LibraryId == library.Id => item,
            _ => throw ApiException.NotFound("no such item in this library"),
        };

    /// <summary>Role ids from the first of <paramref name="keys"/> present (Galaxy's clients name them both ways); none is an empty list.</summary>
    public static IReadOnlyList<long> RoleIds(JsonObject body, Access access, params string[] keys) =>
        keys.Select(k => body[k] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var one) => one.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _ => body.Strings(k),
        }).FirstOrDefault(list => list is not null) is { } ids ? access.DecodeAll("role", ids) : [];

    private static Dictionary<string, object?> LibraryPermissions(IReadOnlyDictionary<string, IReadOnlyList<RoleInfo>> p, LibraryViews views) => new()
    {
        ["access_library_role_list"] = views.RoleList(p[Permission.Access]), ["modify_library_role_list"] = views.RoleList(p[Permission.Modify]),
        ["add_library_item_role_list"] = views.RoleList(p[Permission.Add]), ["manage_library_role_list"] = views.RoleList(p[Permission.Manage]),
    };

    private static Dictionary<string, object?> DatasetPermissions(IReadOnlyDictionary<string, IReadOnlyList<RoleInfo>> p, LibraryViews views) => new()
    {
        ["access_dataset_roles"] = views.RoleList(p[Permission.Access]), ["modify_item_roles"] = views.RoleList(p[Permission.Modify]),
        ["manage_dataset_roles"] = views.RoleList(p[Permission.Manage]),
    };
}
