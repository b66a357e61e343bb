using Ganymede.Server.Services;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>Sign-in with e-mail and password: a cookie session for the pages (the API keeps its keys).</summary>
public sealed class LoginModel(UserService accounts, ServerOptions options) : PageModel
{
    [BindProperty] public string Email { get; set; } = "";
    [BindProperty] public string Password { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }
    public bool MayRegister => options.AllowRegistration;

    public async Task<IActionResult> OnPostAsync()
    {
        // One answer for an unknown address and a wrong password: the page does not tell which addresses have accounts.
        if (accounts.SignIn(Email, Password) is not { } user)
        {
            Error = "The e-mail address or the password is wrong.";
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, WebPages.Principal(user));
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }
}
