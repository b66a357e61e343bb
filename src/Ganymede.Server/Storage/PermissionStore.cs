using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>
/// Which roles (by number, <see cref="RoleStore"/>) may do what to an item: a library, a folder or a library
/// dataset. An action no role is given for is open (a library without access roles is public, as in Galaxy).
/// </summary>
public sealed class PermissionStore(Database db)
{
    public IReadOnlyList<long> Roles(string item, long itemId, string action)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT role FROM permissions WHERE item = @item AND item_id = @itemId AND action = @action ORDER BY role", new { item, itemId, action }).AsList();
    }

    /// <summary>Replaces the roles for one action on one item.</summary>
    public void Set(string item, long itemId, string action, IEnumerable<long> roles)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        c.Execute("DELETE FROM permissions WHERE item = @item AND item_id = @itemId AND action = @action", new { item, itemId, action }, t);
        foreach (var role in roles.Distinct())
            c.Execute("INSERT INTO permissions (item, item_id, action, role) VALUES (@item, @itemId, @action, @role)", new { item, itemId, action, role }, t);
        t.Commit();
    }
}

/// <summary>The items and actions permissions are kept for, with Galaxy's names for them in comments.</summary>
public static class Permission
{
    public const string Library = "library", Folder = "folder", Dataset = "library_dataset";
    /// <summary>LIBRARY_ACCESS, DATASET_ACCESS: who may see it.</summary>
    public const string Access = "access";
    /// <summary>LIBRARY_MODIFY: who may change or delete it.</summary>
    public const string Modify = "modify";
    /// <summary>LIBRARY_ADD: who may add folders and datasets to it.</summary>
    public const string Add = "add";
    /// <summary>LIBRARY_MANAGE, DATASET_MANAGE_PERMISSIONS: who may change these permissions.</summary>
    public const string Manage = "manage";
}
