using Ganymede.Server.Services;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>Self-registration, where the server allows it (`serve --allow-registration`); signs the new user in.</summary>
public sealed class RegisterModel(UserService accounts, ServerOptions options) : PageModel
{
    [BindProperty] public string Email { get; set; } = "";
    public string? Error { get; private set; }

    public IActionResult OnGet() => options.AllowRegistration ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(string? password, string? repeat)
    {
        if (!options.AllowRegistration) return NotFound();
        if (password != repeat)
        {
            Error = "The two passwords differ.";
            return Page();
        }
        try
        {
            var user = accounts.Create(null, Email, password ?? "");
            await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, WebPages.Principal(user));
            return Redirect("/");
        }
        catch (ApiException e)
        {
            Error = WebPages.Sentence(e.Message);
            return Page();
        }
    }
}
