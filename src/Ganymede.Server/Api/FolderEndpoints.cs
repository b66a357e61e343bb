using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>Library folders: show, contents, create a subfolder, update, delete and undelete, permissions.</summary>
public static class FolderEndpoints
{
    private static readonly string[] FolderActions = [Permission.Add, Permission.Modify, Permission.Manage];

    public static IEndpointRouteBuilder MapFolderEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/folders/{id}", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
            Results.Json(views.Folder(libraries.Folder(c.CurrentUser(), views.DecodeFolder(access, id)))));
        app.MapGet("/api/folders/{id}/contents", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            return Results.Json(views.FolderContents(libraries.Folder(user, views.DecodeFolder(access, id)), user, c.Request.QueryBool("include_deleted") == true));
        });
        app.MapPost("/api/folders/{id}", async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var parent = libraries.Folder(user, views.DecodeFolder(access, id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(views.Folder(libraries.CreateFolder(user, parent, body.String("name"), body.String("description"))));
        });
        app.MapMethods("/api/folders/{id}", [HttpMethods.Put, HttpMethods.Patch], async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var folder = libraries.Folder(user, views.DecodeFolder(access, id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(views.Folder(libraries.UpdateFolder(user, folder, body.String("name"), body.String("description"), null)));
        });
        app.MapDelete("/api/folders/{id}", async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var folder = libraries.Folder(user, views.DecodeFolder(access, id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            bool undelete = body.Bool("undelete") ?? c.Request.QueryBool("undelete") ?? false;
            return Results.Json(views.Folder(libraries.UpdateFolder(user, folder, null, null, deleted: !undelete)));
        });

        app.MapGet("/api/folders/{id}/permissions", (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access) =>
        {
            var user = c.CurrentUser();
            var folder = libraries.Folder(user, views.DecodeFolder(access, id));
            return Results.Json(Permissions(libraries.Permissions(user, Permission.Folder, folder.Id, FolderActions), views));
        });
        app.MapPost("/api/folders/{id}/permissions", async (HttpContext c, string id, LibraryService libraries, LibraryViews views, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var folder = libraries.Folder(user, views.DecodeFolder(access, id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            if (body.String("action") is { } action && action != "set_permissions") throw ApiException.BadRequest($"unknown action '{action}' (set_permissions)");
            libraries.SetPermissions(user, Permission.Folder, folder.Id, new Dictionary<string, IReadOnlyList<long>>
            {
                [Permission.Add] = LibraryEndpoints.RoleIds(body, access, "add_ids[]", "add_ids"), [Permission.Modify] = LibraryEndpoints.RoleIds(body, access, "modify_ids[]", "modify_ids"),
                [Permission.Manage] = LibraryEndpoints.RoleIds(body, access, "manage_ids[]", "manage_ids"),
            });
            return Results.Json(Permissions(libraries.Permissions(user, Permission.Folder, folder.Id, FolderActions), views));
        });
        return app;
    }

    private static Dictionary<string, object?> Permissions(IReadOnlyDictionary<string, IReadOnlyList<RoleInfo>> p, LibraryViews views) => new()
    {
        ["modify_folder_role_list"] = views.RoleList(p[Permission.Modify]), ["manage_folder_role_list"] = views.RoleList(p[Permission.Manage]),
        ["add_library_item_role_list"] = views.RoleList(p[Permission.Add]),
    };
}
