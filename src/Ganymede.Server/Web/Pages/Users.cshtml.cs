using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>An administrator's list of users, with what each stores and runs, and a form to create one.</summary>
public sealed class UsersModel(UserStore users, UserService accounts, Quotas quotas) : PageModel
{
    public IReadOnlyList<(UserRecord User, QuotaUse Use)> Users { get; private set; } = [];
    [BindProperty] public string Email { get; set; } = "";
    [BindProperty] public bool IsAdmin { get; set; }
    public string? Error { get; private set; }
    public string? Message { get; private set; }

    public void OnGet() => Load();

    public IActionResult OnPost(string? password)
    {
        var me = Load();
        try
        {
            var user = accounts.Create(me, Email, password ?? "", IsAdmin);
            Message = $"{user.Email} can sign in now.";
            (Email, IsAdmin) = ("", false);
        }
        catch (ApiException e) { Error = WebPages.Sentence(e.Message); }
        Load();
        return Page();
    }

    private UserRecord Load()
    {
        var me = WebPages.CurrentUser(User, users);
        if (!me.IsAdmin) throw ApiException.Forbidden("only an administrator sees the users");
        Users = users.All().Select(u => (u, quotas.Use(u))).ToList();
        return me;
    }
}
