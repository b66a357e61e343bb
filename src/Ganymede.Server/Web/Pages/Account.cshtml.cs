using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// The signed-in user's account: storage and jobs against their quota, their API keys (make one under a name, shown
/// once; revoke any), and their password.
/// </summary>
public sealed class AccountModel(UserStore users, Quotas quotas, ServerOptions options) : PageModel
{
    public UserRecord Me { get; private set; } = null!;
    public IReadOnlyList<ApiKeyRecord> Keys { get; private set; } = [];
    public QuotaUse Use { get; private set; } = null!;
    /// <summary>A key just made: the only time it is shown.</summary>
    public string? NewKey { get; private set; }
    public string? NewKeyName { get; private set; }
    public string? Message { get; private set; }
    public string? Error { get; private set; }

    public void OnGet() => Load();

    public IActionResult OnPostCreateKey(string? name)
    {
        Load();
        try
        {
            NewKey = users.CreateApiKey(Me.Id, name ?? "");
            NewKeyName = name!.Trim();
        }
        catch (ArgumentException e) { Error = WebPages.Sentence(e.Message); }
        Load();
        return Page();
    }

    public IActionResult OnPostRevokeKey(long key)
    {
        Load();
        if (!users.RevokeApiKey(Me.Id, key)) Error = "That key does not exist any more.";
        else Message = "The key is revoked: programs using it are refused from now on.";
        Load();
        return Page();
    }

    public IActionResult OnPostPassword(string? current, string? password, string? repeat)
    {
        Load();
        if (!Passwords.Verify(current ?? "", Me.PasswordHash)) Error = "Your current password is wrong.";
        else if (password != repeat) Error = "The two new passwords differ.";
        else
        {
            try
            {
                users.SetPasswordHash(Me.Id, Passwords.Hash(password ?? "", options.MinPasswordLength));
                Message = "Your password is changed.";
            }
            catch (ArgumentException e) { Error = WebPages.Sentence(e.Message); }
        }
        return Page();
    }

    private void Load()
    {
        Me = WebPages.CurrentUser(User, users);
        Keys = users.ApiKeys(Me.Id);
        Use = quotas.Use(Me);
    }
}
