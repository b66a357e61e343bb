using System.Globalization;
using System.Text.RegularExpressions;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>What an administrator sends to create or change a Galaxy quota; null leaves a setting as it is.</summary>
public sealed record QuotaChange(string? Name, string? Description, string? Amount, string? Operation, string? Default,
    IReadOnlyList<long>? UserIds, IReadOnlyList<long>? GroupIds);

/// <summary>
/// Galaxy's quota administration: only administrators; names unique; amounts as Galaxy writes them ("100 GB",
/// ".01 TB", "unlimited"); a default quota (for every registered user) must stop being the default before it is deleted. Answers are Galaxy's messages. <see cref="Quotas"/> applies them.
/// </summary>
public sealed partial class QuotaService(QuotaStore quotas, RoleService roles)
{
    private static readonly string[] Operations = ["=", "+", "-"];

    public (QuotaRecord Quota, string Message) Create(UserRecord by, QuotaChange change)
    {
        RoleService.RequireAdmin(by, "quotas");
        var quota = new QuotaRecord
        {
            Name = CheckName(change.Name),
            Description = change.Description?.Trim() is { Length: > 0 } d ? d : throw ApiException.MissingParameter("a quota needs a description"),
            Bytes = ParseAmount(change.Amount ?? throw ApiException.MissingParameter("a quota needs an amount, such as 100 GB or unlimited")),
            Operation = CheckOperation(change.Operation ?? "="),
            DefaultFor = CheckDefault(change.Default),
        };
        roles.CheckUsers(change.UserIds ?? []);
        roles.CheckGroups(change.GroupIds ?? []);
        try
        {
            var created = quotas.Create(quota, change.UserIds ?? [], change.GroupIds ?? []);
            return (created, $"Quota '{created.Name}' has been created with {change.UserIds?.Count ?? 0} associated users and {change.GroupIds?.Count ?? 0} associated groups.");
        }
        catch (ArgumentException e) { throw ApiException.BadRequest(e.Message); }
    }

    public QuotaRecord Get(UserRecord by, long id, bool deleted)
    {
        RoleService.RequireAdmin(by, "quotas");
        var quota = quotas.Get(id);
        return quota is not null && quota.Deleted == deleted ? quota : throw ApiException.NotFound(deleted ? "deleted quota not found" : "quota not found");
    }

    public IReadOnlyList<QuotaRecord> List(UserRecord by, bool deleted)
    {
        RoleService.RequireAdmin(by, "quotas");
        return quotas.List(deleted);
    }

    /// <summary>Applies the change and says what changed, as Galaxy does ("Quota 'a' has been renamed to 'b'; ...").</summary>
    public string Update(UserRecord by, QuotaRecord quota, QuotaChange change)
    {
        RoleService.RequireAdmin(by, "quotas");
        var messages = new List<string>();
        var updated = new QuotaRecord
        {
            Id = quota.Id, Name = quota.Name, Description = quota.Description, Bytes = quota.Bytes, Operation = quota.Operation,
            DefaultFor = quota.DefaultFor, Deleted = quota.Deleted,
        };
        if (change.Name is not null && CheckName(change.Name) is var name && name != quota.Name)
        {
            messages.Add($"Quota '{quota.Name}' has been renamed to '{name}'");
            updated.Name = name;
        }
        if (change.Description?.Trim() is { Length: > 0 } description && description != quota.Description)
        {
            messages.Add($"Quota '{updated.Name}' description has been updated");
            updated.Description = description;
        }
        if (change.Amount is not null || change.Operation is not null)
        {
            updated.Bytes = change.Amount is null ? quota.Bytes : ParseAmount(change.Amount);
            updated.Operation = change.Operation is null ? quota.Operation : CheckOperation(change.Operation);
            if (updated.Bytes != quota.Bytes || updated.Operation != quota.Operation)
                messages.Add($"Quota '{updated.Name}' is now '{updated.Operation}{Display(updated.Bytes)}'");
        }
        if (change.Default is not null && CheckDefault(change.Default) is var defaultFor && defaultFor != quota.DefaultFor)
        {
            updated.DefaultFor = defaultFor;
            messages.Add(defaultFor is null ? $"Quota '{updated.Name}' is no longer the default for {quota.DefaultFor} users"
                : $"Quota '{updated.Name}' is now the default for {defaultFor} users");
        }
        roles.CheckUsers(change.UserIds ?? []);
        roles.CheckGroups(change.GroupIds ?? []);
        if (change.UserIds is not null || change.GroupIds is not null) messages.Add($"Quota '{updated.Name}' has {change.UserIds?.Count ?? 0} associated users and {change.GroupIds?.Count ?? 0} associated groups");
        try { quotas.Update(updated, change.UserIds, change.GroupIds); }
        catch (ArgumentException e) { throw ApiException.BadRequest(e.Message); }
        return messages.Count == 0 ? $"Quota '{updated.Name}' is unchanged" : string.Join("; ", messages);
    }

    public string Delete(UserRecord by, QuotaRecord quota)
    {
        RoleService.RequireAdmin(by, "quotas");
        if (quota.DefaultFor is not null)
            throw ApiException.BadRequest($"quota '{quota.Name}' is the default for {quota.DefaultFor} users: set its default to 'no' before deleting it");
        quota.Deleted = true;
        quotas.Update(quota, null, null);
        return $"Deleted 1 quotas: {quota.Name}";
    }

    public string Undelete(UserRecord by, QuotaRecord quota)
    {
        RoleService.RequireAdmin(by, "quotas");
        quota.Deleted = false;
        quotas.Update(quota, null, null);
        return $"Undeleted 1 quotas: {quota.Name}";
    }

    /// <summary>
    /// An amount as Galaxy reads one: a number and a unit whose first letter says the power of 1024 (b, k, m, g, t, p:
    /// "100 GB", ".01 TB", "512MiB"); "unlimited" or "none" is null.
    /// </summary>
    public static long? ParseAmount(string amount)
    {
        var text = amount.Trim().ToLowerInvariant();
        if (text is "unlimited" or "none" or "no limit") return null;
        var match = AmountPattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            throw ApiException.BadRequest($"'{amount}' is not an amount of storage (write it like 100 GB, 512 MB, .5 TB, or unlimited)");
        int power = match.Groups[2].Value is { Length: > 0 } unit ? "bkmgtp".IndexOf(unit[0], StringComparison.Ordinal) : 0;
        double bytes = number * Math.Pow(1024, power);
        return bytes < long.MaxValue ? (long)bytes : throw ApiException.BadRequest($"'{amount}' is too large");
    }

    [GeneratedRegex(@"^(\d*\.?\d+)\s*([bkmgtp][a-z]*)?$")]
    private static partial Regex AmountPattern();

    public static string Display(long? bytes) => bytes is { } b ? Api.GalaxyViews.NiceSize(b) : "unlimited";

    private static string CheckName(string? name)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) throw ApiException.MissingParameter("a quota needs a name");
        if (name.Length > 255 || name.Any(char.IsControl)) throw ApiException.BadRequest("a quota's name is 1 to 255 characters, without control characters");
        return name;
    }

    private static string CheckOperation(string operation) =>
        Operations.Contains(operation) ? operation : throw ApiException.BadRequest($"quota operation '{operation}': expected =, + or -");

    /// <summary>Galaxy's "default" setting: no, registered or unregistered (this server has no anonymous users, so the last applies to no one).</summary>
    private static string? CheckDefault(string? value) => value switch
    {
        null or "no" => null,
        "registered" or "unregistered" => value,
        _ => throw ApiException.BadRequest($"quota default '{value}': expected no, registered or unregistered"),
    };
}
