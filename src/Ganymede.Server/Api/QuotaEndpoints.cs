using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using System.Text.Json.Nodes;

namespace Ganymede.Server.Api;

/// <summary>Galaxy's quotas, for administrators: list, show, create, update, delete and undelete (the deleted ones under /api/quotas/deleted).</summary>
public static class QuotaEndpoints
{
    public static IEndpointRouteBuilder MapQuotaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/quotas", (HttpContext c, QuotaService quotas, IdCodec ids) => Results.Json(quotas.List(c.CurrentUser(), deleted: false).Select(q => Summary(q, ids)).ToList()));
        app.MapGet("/api/quotas/deleted", (HttpContext c, QuotaService quotas, IdCodec ids) => Results.Json(quotas.List(c.CurrentUser(), deleted: true).Select(q => Summary(q, ids)).ToList()));
        app.MapGet("/api/quotas/{id}", (HttpContext c, string id, QuotaService quotas, QuotaStore store, UserStore users, RoleStore roles, Access access, IdCodec ids) =>
            Results.Json(Detail(quotas.Get(c.CurrentUser(), access.Decode("quota", id), deleted: false), store, users, roles, ids)));
        app.MapGet("/api/quotas/deleted/{id}", (HttpContext c, string id, QuotaService quotas, QuotaStore store, UserStore users, RoleStore roles, Access access, IdCodec ids) =>
            Results.Json(Detail(quotas.Get(c.CurrentUser(), access.Decode("quota", id), deleted: true), store, users, roles, ids)));

        app.MapPost("/api/quotas", async (HttpContext c, QuotaService quotas, Access access, IdCodec ids, ServerOptions o) =>
        {
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            var (quota, message) = quotas.Create(c.CurrentUser(), Change(body, access));
            var view = Summary(quota, ids);
            view["message"] = message;
            return Results.Json(view);
        });
        app.MapPut("/api/quotas/{id}", async (HttpContext c, string id, QuotaService quotas, Access access, ServerOptions o) =>
        {
            var user = c.CurrentUser();
            var quota = quotas.Get(user, access.Decode("quota", id), deleted: false);
            var body = await c.Request.ReadJsonObjectAsync(o.MaxJsonBytes);
            return Results.Json(quotas.Update(user, quota, Change(body, access)));
        });
        app.MapDelete("/api/quotas/{id}", (HttpContext c, string id, QuotaService quotas, Access access) =>
        {
            var user = c.CurrentUser();
            return Results.Json(quotas.Delete(user, quotas.Get(user, access.Decode("quota", id), deleted: false)));
        });
        app.MapPost("/api/quotas/deleted/{id}/undelete", (HttpContext c, string id, QuotaService quotas, Access access) =>
        {
            var user = c.CurrentUser();
            return Results.Json(quotas.Undelete(user, quotas.Get(user, access.Decode("quota", id), deleted: true)));
        });
        return app;
    }

    private static QuotaChange Change(JsonObject body, Access access) => new(
        body.String("name"), body.String("description"), body.String("amount"), body.String("operation"), body.String("default"),
        body.Strings("in_users") is { } u ? access.DecodeAll("user", u) : null, body.Strings("in_groups") is { } g ? access.DecodeAll("group", g) : null);

    private static Dictionary<string, object?> Summary(QuotaRecord q, IdCodec ids) => new()
    {
        ["id"] = ids.Encode(q.Id), ["model_class"] = "Quota", ["name"] = q.Name, ["url"] = $"/api/quotas/{ids.Encode(q.Id)}",
    };

    private static Dictionary<string, object?> Detail(QuotaRecord q, QuotaStore store, UserStore users, RoleStore roles, IdCodec ids)
    {
        var view = Summary(q, ids);
        view["description"] = q.Description;
        view["bytes"] = q.Bytes;
        view["operation"] = q.Operation;
        view["display_amount"] = QuotaService.Display(q.Bytes);
        view["deleted"] = q.Deleted;
        view["default"] = q.DefaultFor is null ? Array.Empty<object>() : new object[] { new Dictionary<string, object?> { ["type"] = q.DefaultFor, ["model_class"] = "DefaultQuotaAssociation" } };
        view["users"] = store.Users(q.Id).Select(users.Get).OfType<UserRecord>().Select(u => new Dictionary<string, object?>
        {
            ["model_class"] = "UserQuotaAssociation", ["user"] = new Dictionary<string, object?> { ["id"] = ids.Encode(u.Id), ["email"] = u.Email, ["model_class"] = "User" },
        }).ToList();
        view["groups"] = store.Groups(q.Id).Select(roles.GetGroup).OfType<GroupRecord>().Select(g => new Dictionary<string, object?>
        {
            ["model_class"] = "GroupQuotaAssociation", ["group"] = new Dictionary<string, object?> { ["id"] = ids.Encode(g.Id), ["name"] = g.Name, ["model_class"] = "Group" },
        }).ToList();
        return view;
    }
}
