using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ganymede.Server.Api;

/// <summary>Roles and groups (administrators manage them; a user may list the roles they have).</summary>
public static class RoleEndpoints
{
    public static IEndpointRouteBuilder MapRoleEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/roles", (HttpContext c, RoleService roles, IdCodec ids) => Results.Json(roles.VisibleTo(c.CurrentUser()).Select(r => Role(r, ids)).ToList()));
        app.MapGet("/api/roles/{id}", (HttpContext c, string id, RoleService roles, Access access, IdCodec ids) =>
            Results.Json(Role(roles.RoleFor(c.CurrentUser(), access.Decode("role", id)), ids)));
        app.MapPost("/api/roles", async (HttpContext c, RoleService roles, Access access, IdCodec ids, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var role = roles.CreateRole(c.CurrentUser(), body.String("name"), body.String("description"),
                access.DecodeAll("user", body.Strings("user_ids")), access.DecodeAll("group", body.Strings("group_ids")));
            return Results.Json(Role(role, ids));
        });

        app.MapGet("/api/groups", (HttpContext c, RoleService roles, IdCodec ids) => Results.Json(roles.Groups(c.CurrentUser()).Select(g => Group(g, ids)).ToList()));
        app.MapPost("/api/groups", async (HttpContext c, RoleService roles, Access access, IdCodec ids, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var group = roles.CreateGroup(c.CurrentUser(), body.String("name"), access.DecodeAll("user", body.Strings("user_ids")), access.DecodeAll("role", body.Strings("role_ids")));
            return Results.Json(new[] { Group(group, ids) });
        });
        app.MapGet("/api/groups/{id}", (HttpContext c, string id, RoleService roles, Access access, IdCodec ids) =>
        {
            var group = Group(roles.Group(c.CurrentUser(), access.Decode("group", id)), ids);
            group["users_url"] = $"/api/groups/{id}/users";
            group["roles_url"] = $"/api/groups/{id}/roles";
            return Results.Json(group);
        });
        app.MapPut("/api/groups/{id}", async (HttpContext c, string id, RoleService roles, Access access, IdCodec ids, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var group = roles.Group(user, access.Decode("group", id));
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            roles.UpdateGroup(user, group, body.String("name"), body.Strings("user_ids") is { } u ? access.DecodeAll("user", u) : null,
                body.Strings("role_ids") is { } r ? access.DecodeAll("role", r) : null);
            return Results.Json(Group(roles.Group(user, group.Id), ids));
        });

        app.MapGet("/api/groups/{id}/users", (HttpContext c, string id, RoleService roles, RoleStore store, UserStore users, Access access, IdCodec ids) =>
        {
            var group = roles.Group(c.CurrentUser(), access.Decode("group", id));
            return Results.Json(store.GroupUsers(group.Id).Select(u => GroupUser(group, users.Get(u)!, ids)).ToList());
        });
        app.MapMethods("/api/groups/{id}/users/{userId}", [HttpMethods.Put, HttpMethods.Delete], (HttpContext c, string id, string userId, RoleService roles, UserStore users, Access access, IdCodec ids) =>
        {
            var by = c.CurrentUser();
            var group = roles.Group(by, access.Decode("group", id));
            var user = users.Get(access.Decode("user", userId)) ?? throw ApiException.NotFound($"user {userId} not found");
            if (HttpMethods.IsPut(c.Request.Method)) roles.AddUser(by, group, user.Id);
            else roles.RemoveUser(by, group, user.Id);
            return Results.Json(GroupUser(group, user, ids));
        });
        app.MapGet("/api/groups/{id}/roles", (HttpContext c, string id, RoleService roles, RoleStore store, Access access, IdCodec ids) =>
        {
            var group = roles.Group(c.CurrentUser(), access.Decode("group", id));
            return Results.Json(store.GroupRoles(group.Id).Select(r => GroupRole(group, roles.Role(r), ids)).ToList());
        });
        app.MapMethods("/api/groups/{id}/roles/{roleId}", [HttpMethods.Put, HttpMethods.Delete], (HttpContext c, string id, string roleId, RoleService roles, Access access, IdCodec ids) =>
        {
            var by = c.CurrentUser();
            var group = roles.Group(by, access.Decode("group", id));
            var role = roles.Role(access.Decode("role", roleId));
            if (HttpMethods.IsPut(c.Request.Method)) roles.AddRole(by, group, role.Number);
            else roles.RemoveRole(by, group, role.Number);
            return Results.Json(GroupRole(group, role, ids));
        });
        return app;
    }

    public static Dictionary<string, object?> Role(RoleInfo r, IdCodec ids) => new()
    {
        ["id"] = ids.Encode(r.Number), ["model_class"] = "Role", ["name"] = r.Name, ["description"] = r.Description, ["type"] = r.Type,
        ["url"] = $"/api/roles/{ids.Encode(r.Number)}",
    };

    private static Dictionary<string, object?> Group(GroupRecord g, IdCodec ids) => new()
    {
        ["id"] = ids.Encode(g.Id), ["model_class"] = "Group", ["name"] = g.Name, ["deleted"] = g.Deleted, ["url"] = $"/api/groups/{ids.Encode(g.Id)}",
    };

    private static Dictionary<string, object?> GroupUser(GroupRecord g, UserRecord u, IdCodec ids) => new()
    {
        ["id"] = ids.Encode(u.Id), ["email"] = u.Email, ["url"] = $"/api/groups/{ids.Encode(g.Id)}/users/{ids.Encode(u.Id)}",
    };

    private static Dictionary<string, object?> GroupRole(GroupRecord g, RoleInfo r, IdCodec ids) => new()
    {
        ["id"] = ids.Encode(r.Number), ["name"] = r.Name, ["url"] = $"/api/groups/{ids.Encode(g.Id)}/roles/{ids.Encode(r.Number)}",
    };
}
