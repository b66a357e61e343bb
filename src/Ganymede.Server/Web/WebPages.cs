using System.Security.Claims;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace Ganymede.Server.Web;

/// <summary>
/// The web application: Razor Pages under Web/Pages, signed in with a cookie session (the API keeps its keys), every
/// form checked against forgery, static files (the front-end packages from web/, copied by the build) under /static.
/// </summary>
public static class WebPages
{
    public static void AddWebPages(IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.LoginPath = "/login";
            o.Cookie.Name = "ganymede";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromDays(7);
        });
        services.AddAuthorization();
        services.AddAntiforgery(o => o.HeaderName = AntiforgeryHeader);
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Web/Pages";
            o.Conventions.AuthorizeFolder("/");
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AllowAnonymousToPage("/Register");
        }).AddApplicationPart(typeof(WebPages).Assembly);
    }

    public static void UseWebPages(WebApplication app)
    {
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/static",
            FileProvider = new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "web")),
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapGet("/jobs/{id}/events", JobEvents.StreamAsync).RequireAuthorization();
    }

    /// <summary>
    /// Who a signed-in session is: the user's id, their e-mail as the name pages show, and the administrator role for
    /// the menu (pages check the user's record, not this claim).
    /// </summary>
    public static ClaimsPrincipal Principal(UserRecord user) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, user.Email),
         .. user.IsAdmin ? [new Claim(ClaimTypes.Role, AdminRole)] : Array.Empty<Claim>()],
        CookieAuthenticationDefaults.AuthenticationScheme));

    public const string AdminRole = "admin";

    /// <summary>The header the pages' scripts send their anti-forgery token in (the forms send it as a field).</summary>
    public const string AntiforgeryHeader = "RequestVerificationToken";

    /// <summary>Whether a signed-in browser's API call may go ahead: reads always, changes with the anti-forgery token.</summary>
    /// <remarks>Only the header is looked at: without it the check would read a form body whole, which the upload endpoints stream.</remarks>
    public static async Task<bool> MaySendAsync(HttpContext c) =>
        HttpMethods.IsGet(c.Request.Method) || HttpMethods.IsHead(c.Request.Method)
        || (c.Request.Headers.ContainsKey(AntiforgeryHeader)
            && await c.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>().IsRequestValidAsync(c));

    /// <summary>
    /// The user whose session cookie the request carries, or null. The request then runs as that session (as the
    /// pages do), which the anti-forgery check needs: a token belongs to the session it was given to.
    /// </summary>
    public static async Task<UserRecord?> SignedInUserAsync(HttpContext c, UserStore users)
    {
        var session = await c.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (!session.Succeeded || !long.TryParse(session.Principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)) return null;
        c.User = session.Principal;
        return users.Get(id) is { Deleted: false } user ? user : null;
    }

    /// <summary>The signed-in user, read again on each request (a deleted user's cookie stops working).</summary>
    public static UserRecord CurrentUser(ClaimsPrincipal principal, UserStore users) =>
        long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id) && users.Get(id) is { Deleted: false } user
            ? user : throw ApiException.Forbidden("your session has ended: sign in again");

    /// <summary>The services' messages are lower-case clauses; a page shows them as a sentence.</summary>
    public static string Sentence(string message) => message.Length == 0 ? message : char.ToUpperInvariant(message[0]) + message[1..] + (message.EndsWith('.') ? "" : ".");

    /// <summary>A page's error (someone else's history, a job that does not exist) as a page, with the API's message.</summary>
    public static Task WriteErrorPageAsync(HttpContext c, int status, string message)
    {
        var text = System.Net.WebUtility.HtmlEncode(Sentence(message));
        c.Response.ContentType = "text/html; charset=utf-8";
        return c.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark"><title>Error {status} · Ganymede</title><link rel="stylesheet" href="/static/site.css"></head>
            <body><main id="main" class="narrow"><h1>Error {status}</h1><p class="error" role="alert">{text}</p><p><a href="/">Back to your histories</a></p></main></body></html>
            """);
    }
}
