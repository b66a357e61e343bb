using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// An administrator's list of users, with what each stores and runs, a form to create one, and their deletion (the
/// deleted ones listed apart, to undelete or purge). The rules are <see cref="UserService"/>'s, as the API's.
/// </summary>
public sealed class UsersModel(UserStore users, UserService accounts, Quotas quotas) : PageModel
{
    public IReadOnlyList<(UserRecord User, QuotaUse Use)> Users { get; private set; } = [];
    public IReadOnlyList<UserRecord> Deleted { get; private set; } = [];
    public long MyId { get; private set; }
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

    public IActionResult OnPostDelete(long user, bool purge) => Change(user, (me, u) => accounts.Delete(me, u, purge), purge ? "purged" : "deleted");

    public IActionResult OnPostUndelete(long user) => Change(user, accounts.Undelete, "undeleted");

    private IActionResult Change(long id, Func<UserRecord, UserRecord, UserRecord> change, string done)
    {
        var me = Load();
        var user = users.Get(id) ?? throw ApiException.NotFound("user not found");
        try
        {
            var email = user.Email;
            change(me, user);
            Message = $"{email} is {done}.";
        }
        catch (ApiException e) when (e.Status == 400) { Error = WebPages.Sentence(e.Message); }
        Load();
        return Page();
    }

    private UserRecord Load()
    {
        var me = WebPages.CurrentUser(User, users);
        if (!me.IsAdmin) throw ApiException.Forbidden("only an administrator sees the users");
        Users = users.All().Select(u => (u, quotas.Use(u))).ToList();
        Deleted = users.All(deleted: true);
        MyId = me.Id;
        return me;
    }
}
