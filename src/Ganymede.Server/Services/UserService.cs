using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Accounts: who may create one (an administrator always; anyone when the server allows self-registration), with a
/// password checked as the command line checks it; and keys handed out for a password (Galaxy's baseauth).
/// </summary>
public sealed class UserService(UserStore users, HistoryStore histories, HistoryService historyService, JobStore jobs, Jobs.JobManager jobManager, ServerOptions options)
{
    /// <summary>
    /// An administrator's deletion: the user can no longer sign in, their keys stop working and their unfinished jobs
    /// are cancelled; their data stays until <paramref name="purge"/> (of a deleted user) purges their histories and
    /// forgets their address. Galaxy's rules: nobody deletes themself, and only a deleted user is purged.
    /// </summary>
    public UserRecord Delete(UserRecord by, UserRecord user, bool purge)
    {
        RequireAdministrator(by, "delete users");
        if (user.Id == by.Id) throw ApiException.BadRequest("you cannot delete your own account");
        if (purge)
        {
            if (!user.Deleted) throw ApiException.BadRequest($"user {user.Email} is not deleted: delete them before purging them");
            foreach (var history in histories.List(user.Id, deleted: null, published: null)) historyService.Delete(history, purge: true);
            users.Purge(user.Id);
        }
        else
        {
            users.SetDeleted(user.Id, true);
            foreach (var job in jobs.Unfinished(user.Id)) jobManager.Cancel(job);
        }
        return users.Get(user.Id)!;
    }

    public UserRecord Undelete(UserRecord by, UserRecord user)
    {
        RequireAdministrator(by, "undelete users");
        if (user.Purged) throw ApiException.BadRequest($"user {user.Email} is purged: a purged account cannot come back");
        users.SetDeleted(user.Id, false);
        return users.Get(user.Id)!;
    }

    private static void RequireAdministrator(UserRecord by, string what)
    {
        if (!by.IsAdmin) throw ApiException.Forbidden($"only an administrator may {what}");
    }

    /// <summary>Creates a user with a password; <paramref name="by"/> is the administrator creating it, or null for self-registration.</summary>
    public UserRecord Create(UserRecord? by, string email, string password, bool isAdmin = false, string? username = null)
    {
        if (by is null && !options.AllowRegistration) throw ApiException.Forbidden("this server does not let people create their own accounts: ask an administrator");
        if (by is { IsAdmin: false }) throw ApiException.Forbidden("only an administrator may create users");
        if (isAdmin && by is null) throw ApiException.Forbidden("only an administrator may create administrators");
        try
        {
            Passwords.Check(password, options.MinPasswordLength);
            if (username is not null) CheckUsername(username);
            var (user, _) = users.Create(email, isAdmin, username);
            users.SetPasswordHash(user.Id, Passwords.Hash(password, options.MinPasswordLength));
            return users.Get(user.Id)!;
        }
        catch (ArgumentException e) { throw ApiException.BadRequest(e.Message); }
    }

    /// <summary>Galaxy's user update: the user or an administrator changes the e-mail address and the public name, each unique.</summary>
    public UserRecord Update(UserRecord by, UserRecord user, string? email, string? username)
    {
        if (by.ActsForJob) throw ApiException.Forbidden("a job's key cannot change an account");
        if (by.Id != user.Id && !by.IsAdmin) throw ApiException.Forbidden("only the user or an administrator may change the account");
        email = email?.Trim() ?? user.Email;
        if (email.Length is 0 or > 255 || !email.Contains('@', StringComparison.Ordinal) || email.Any(char.IsWhiteSpace)) throw ApiException.BadRequest($"'{email}' is not an e-mail address");
        username = username is null ? user.Username : CheckUsername(username);
        if (!users.Rename(user.Id, email, username)) throw new ApiException(409, 409001, "another account has this e-mail address or public name");
        return users.Get(user.Id)!;
    }

    /// <summary>A public name as Galaxy allows one: 3 to 255 lower-case letters, digits, '.', '_' and '-'.</summary>
    private static string CheckUsername(string name) =>
        name.Length is >= 3 and <= 255 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-') ? name
            : throw ApiException.BadRequest($"public name '{name}': 3 to 255 lower-case letters, digits, '.', '_' or '-'");

    /// <summary>The user with this e-mail and password, or null; one answer for both mistakes, so addresses stay private.</summary>
    public UserRecord? SignIn(string email, string password) =>
        users.FindByEmail(email) is { Deleted: false } user && Passwords.Verify(password, user.PasswordHash) ? user : null;

    /// <summary>A fresh key for a password sign-in through the API; the previous key made this way is revoked.</summary>
    public string KeyForPassword(UserRecord user) => ReplaceKey(user, "made by /api/authenticate/baseauth");

    /// <summary>
    /// A fresh key asked for through Galaxy's /api/users/{id}/api_key, by the user or an administrator; the previous one
    /// made this way is revoked, as Galaxy replaces a user's key. (Keys are stored hashed: an existing one cannot be shown.)
    /// </summary>
    public string KeyForApi(UserRecord by, UserRecord user)
    {
        if (by.ActsForJob) throw ApiException.Forbidden("a job's key cannot make API keys: the user's own keys never enter a job or a notebook session");
        if (by.Id != user.Id && !by.IsAdmin) throw ApiException.Forbidden("only the user or an administrator may make the user's API keys");
        return ReplaceKey(user, "made by /api/users/{id}/api_key");
    }

    /// <summary>Galaxy's delete of "the" API key: every key of the user stops working (the pages still sign in, and make new ones).</summary>
    public void RevokeKeys(UserRecord by, UserRecord user)
    {
        if (by.ActsForJob) throw ApiException.Forbidden("a job's key cannot revoke API keys");
        if (by.Id != user.Id && !by.IsAdmin) throw ApiException.Forbidden("only the user or an administrator may revoke the user's API keys");
        foreach (var key in users.ApiKeys(user.Id)) users.RevokeApiKey(user.Id, key.Id);
    }

    private string ReplaceKey(UserRecord user, string name)
    {
        foreach (var key in users.ApiKeys(user.Id).Where(k => k.Name == name)) users.RevokeApiKey(user.Id, key.Id);
        return users.CreateApiKey(user.Id, name);
    }
}
