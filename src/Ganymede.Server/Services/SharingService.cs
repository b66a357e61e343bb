using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>A history's sharing as Galaxy's sharing endpoints show it.</summary>
public sealed record HistorySharing(HistoryRecord History, IReadOnlyList<UserRecord> Users, IReadOnlyList<string> Errors);

/// <summary>
/// Who may read what is not theirs, read-only always: a history its owner published, made accessible by link (anyone
/// with its id, signed in or not) or shared with them, unless deleted; a dataset its owner published, one whose
/// access roles they hold all of, or, when it has no access roles, one in a history they may read. Only the owner
/// (or an administrator) changes a history's sharing; a dataset's permissions also whoever holds one of its manage roles.
/// </summary>
public sealed class SharingService(HistoryStore histories, HistoryService historyService, DatasetStore datasets, PermissionStore permissions, RoleStore roles,
    RoleService roleService, UserStore users)
{
    /// <summary>The item name of a history dataset's permissions in <see cref="PermissionStore"/>.</summary>
    public const string DatasetItem = "history_dataset";

    public bool MayRead(UserRecord? user, HistoryRecord history) =>
        IsOwnerOrAdmin(user, history.UserId)
        || (!history.Deleted && (history.Published || history.Importable || (user is not null && histories.IsSharedWith(history.Id, user.Id))));

    public bool MayRead(UserRecord? user, DatasetRecord dataset)
    {
        if (IsOwnerOrAdmin(user, dataset.UserId) || (dataset.Published && !dataset.Purged)) return true;
        var access = permissions.Roles(DatasetItem, dataset.Id, Permission.Access);
        if (access.Count > 0) return user is not null && roles.RolesOf(user.Id).IsSupersetOf(access);
        return histories.Get(dataset.HistoryId) is { } history && MayRead(user, history);
    }

    public HistorySharing Sharing(HistoryRecord history, IReadOnlyList<string>? errors = null) =>
        new(histories.Get(history.Id)!, histories.SharedWith(history.Id).Select(users.Get).OfType<UserRecord>().ToList(), errors ?? []);

    /// <summary>
    /// Galaxy's link access and publishing: publishing makes the history accessible by link too, and disabling link
    /// access unpublishes it.
    /// </summary>
    public HistorySharing SetAccess(UserRecord user, HistoryRecord history, bool? importable, bool? published)
    {
        RequireOwner(user, history.UserId, "history");
        if (published == true) importable = true;
        if (importable == false) published = false;
        // Publishing goes through the history's rules: a published history gets its slug there.
        if (published is { } p) historyService.Update(history, null, null, null, p);
        if (importable is { } i) histories.SetImportable(history.Id, i);
        return Sharing(history);
    }

    /// <summary>
    /// Shares the history with exactly these users (by encoded id or e-mail, as Galaxy takes them): those not named any
    /// more lose it. Names that are no user, or the owner, are reported and left out, as Galaxy does.
    /// </summary>
    public HistorySharing ShareWith(UserRecord user, HistoryRecord history, IEnumerable<string> names, Func<string, long?> decodeUser)
    {
        RequireOwner(user, history.UserId, "history");
        var chosen = new List<long>();
        var errors = new List<string>();
        foreach (var name in names.Select(n => n.Trim()).Where(n => n.Length > 0).Distinct())
        {
            var found = name.Contains('@') ? users.FindByEmail(name) : decodeUser(name) is { } id ? users.Get(id) : null;
            if (found is null || found.Deleted) errors.Add($"{name} is not a user of this server.");
            else if (found.Id == history.UserId) errors.Add("You cannot share a history with yourself.");
            else chosen.Add(found.Id);
        }
        histories.Share(history.Id, chosen);
        return Sharing(history, errors);
    }

    public IReadOnlyList<HistoryRecord> SharedWith(UserRecord user) => histories.SharedWithUser(user.Id);

    public bool MayManage(UserRecord user, DatasetRecord dataset) =>
        IsOwnerOrAdmin(user, dataset.UserId) || permissions.Roles(DatasetItem, dataset.Id, Permission.Manage).Intersect(roles.RolesOf(user.Id)).Any();

    /// <summary>A dataset's roles for each action Galaxy names: access, manage and modify.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RoleInfo>> DatasetRoles(DatasetRecord dataset) =>
        new[] { Permission.Access, Permission.Manage, Permission.Modify }.ToDictionary(a => a,
            a => (IReadOnlyList<RoleInfo>)permissions.Roles(DatasetItem, dataset.Id, a).Select(roleService.Role).ToList());

    /// <summary>
    /// Galaxy's dataset permission actions: make_private (only the owner's role may access and manage it),
    /// remove_restrictions (published: anyone may read it), set_permissions (the roles given, by action; an action not
    /// given keeps its roles).
    /// </summary>
    public void SetDatasetPermissions(UserRecord user, DatasetRecord dataset, string? action, IReadOnlyDictionary<string, IReadOnlyList<long>> given)
    {
        if (!MayManage(user, dataset)) throw ApiException.Forbidden("you may not change this dataset's permissions");
        switch (action)
        {
            case "make_private":
                datasets.SetPublished(dataset.Id, false);
                permissions.Set(DatasetItem, dataset.Id, Permission.Access, [dataset.UserId]);
                permissions.Set(DatasetItem, dataset.Id, Permission.Manage, [dataset.UserId]);
                break;
            case "remove_restrictions":
                datasets.SetPublished(dataset.Id, true);
                permissions.Set(DatasetItem, dataset.Id, Permission.Access, []);
                break;
            case "set_permissions":
                foreach (var numbers in given.Values) roleService.CheckRoles(numbers);
                datasets.SetPublished(dataset.Id, false);
                foreach (var (what, numbers) in given) permissions.Set(DatasetItem, dataset.Id, what, numbers);
                break;
            default:
                throw ApiException.BadRequest($"action '{action}': expected set_permissions, make_private or remove_restrictions");
        }
    }

    private static bool IsOwnerOrAdmin(UserRecord? user, long owner) => user is not null && (user.Id == owner || user.IsAdmin);

    private static void RequireOwner(UserRecord user, long owner, string what)
    {
        if (!IsOwnerOrAdmin(user, owner)) throw ApiException.Forbidden($"only its owner may change who may read this {what}");
    }
}
