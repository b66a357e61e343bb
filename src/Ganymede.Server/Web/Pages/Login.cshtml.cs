using System.Security.Claims;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>Sign-in with e-mail and password: a cookie session for the pages (the API keeps its keys).</summary>
public sealed class LoginModel(UserStore users) : PageModel
{
    [BindProperty] public string Email { get; set; } = "";
    [BindProperty] public string Password { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = users.FindByEmail(Email);
        // One answer for an unknown address and a wrong password: the page does not tell which addresses have accounts.
        if (user is null || !Passwords.Verify(Password, user.PasswordHash))
        {
            Error = "The e-mail address or the password is wrong.";
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, WebPages.Principal(user));
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }
}
