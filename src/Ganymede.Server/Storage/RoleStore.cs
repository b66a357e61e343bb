using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>
/// Roles and groups, Galaxy's way of saying who may see and change shared things. Every user has a private role of
/// their own, which is not a row: its number is the user's id (Galaxy clients pass a user's id where they mean that
/// role). Shared roles are rows numbered from <see cref="SharedBase"/> up, so the two never meet. Permissions name
/// roles by these numbers.
/// </summary>
public sealed class RoleStore(Database db)
{
    public const long SharedBase = 1L << 40;

    public static bool IsPrivate(long role) => role < SharedBase;

    public RoleRecord CreateRole(string name, string description, IEnumerable<long> userIds, IEnumerable<long> groupIds)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM roles WHERE name = @name", new { name }, t) > 0)
            throw new ArgumentException($"a role named '{name}' already exists");
        var now = Database.Now();
        var role = c.QuerySingle<RoleRecord>("INSERT INTO roles (name, description, create_time, update_time) VALUES (@name, @description, @now, @now) RETURNING *",
            new { name, description, now }, t);
        foreach (var userId in userIds.Distinct()) c.Execute("INSERT INTO role_users (role_id, user_id) VALUES (@roleId, @userId)", new { roleId = role.Id, userId }, t);
        foreach (var groupId in groupIds.Distinct()) c.Execute("INSERT INTO group_roles (group_id, role_id) VALUES (@groupId, @roleId)", new { roleId = role.Id, groupId }, t);
        t.Commit();
        return role;
    }

    /// <summary>A shared role by its number (not a private one: those are users).</summary>
    public RoleRecord? GetRole(long role)
    {
        if (IsPrivate(role)) return null;
        using var c = db.Open();
        return c.QuerySingleOrDefault<RoleRecord>("SELECT * FROM roles WHERE id = @id", new { id = role - SharedBase });
    }

    public IReadOnlyList<RoleRecord> SharedRoles()
    {
        using var c = db.Open();
        return c.Query<RoleRecord>("SELECT * FROM roles WHERE deleted = 0 ORDER BY name").AsList();
    }

    /// <summary>The numbers of every role the user has: their private one, the shared ones given to them, and those of their groups.</summary>
    public HashSet<long> RolesOf(long userId)
    {
        using var c = db.Open();
        var shared = c.Query<long>(
            """
            SELECT role_id FROM role_users WHERE user_id = @userId
            UNION SELECT gr.role_id FROM group_roles gr JOIN group_users gu ON gu.group_id = gr.group_id JOIN groups g ON g.id = gr.group_id
              WHERE gu.user_id = @userId AND g.deleted = 0
            """, new { userId });
        return [userId, .. shared.Select(id => id + SharedBase)];
    }

    public GroupRecord CreateGroup(string name, IEnumerable<long> userIds, IEnumerable<long> roles)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM groups WHERE name = @name", new { name }, t) > 0)
            throw new ArgumentException($"a group named '{name}' already exists");
        var now = Database.Now();
        var group = c.QuerySingle<GroupRecord>("INSERT INTO groups (name, create_time, update_time) VALUES (@name, @now, @now) RETURNING *", new { name, now }, t);
        SetMembers(c, t, group.Id, userIds, roles);
        t.Commit();
        return group;
    }

    public GroupRecord? GetGroup(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<GroupRecord>("SELECT * FROM groups WHERE id = @id", new { id });
    }

    public IReadOnlyList<GroupRecord> Groups()
    {
        using var c = db.Open();
        return c.Query<GroupRecord>("SELECT * FROM groups WHERE deleted = 0 ORDER BY name").AsList();
    }

    /// <summary>Renames the group (when <paramref name="name"/> is given) and replaces its users and roles (each when given).</summary>
    public void UpdateGroup(long id, string? name, IEnumerable<long>? userIds, IEnumerable<long>? roles)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        if (name is not null)
        {
            if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM groups WHERE name = @name AND id <> @id", new { name, id }, t) > 0)
                throw new ArgumentException($"a group named '{name}' already exists");
            c.Execute("UPDATE groups SET name = @name, update_time = @now WHERE id = @id", new { id, name, now = Database.Now() }, t);
        }
        if (userIds is not null) c.Execute("DELETE FROM group_users WHERE group_id = @id", new { id }, t);
        if (roles is not null) c.Execute("DELETE FROM group_roles WHERE group_id = @id", new { id }, t);
        SetMembers(c, t, id, userIds ?? [], roles ?? []);
        t.Commit();
    }

    public void AddGroupUser(long groupId, long userId)
    {
        using var c = db.Open();
        c.Execute("INSERT INTO group_users (group_id, user_id) VALUES (@groupId, @userId) ON CONFLICT DO NOTHING", new { groupId, userId });
    }

    public void RemoveGroupUser(long groupId, long userId)
    {
        using var c = db.Open();
        c.Execute("DELETE FROM group_users WHERE group_id = @groupId AND user_id = @userId", new { groupId, userId });
    }

    public void AddGroupRole(long groupId, long role)
    {
        using var c = db.Open();
        c.Execute("INSERT INTO group_roles (group_id, role_id) VALUES (@groupId, @roleId) ON CONFLICT DO NOTHING", new { groupId, roleId = role - SharedBase });
    }

    public void RemoveGroupRole(long groupId, long role)
    {
        using var c = db.Open();
        c.Execute("DELETE FROM group_roles WHERE group_id = @groupId AND role_id = @roleId", new { groupId, roleId = role - SharedBase });
    }

    public IReadOnlyList<long> GroupUsers(long groupId)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT user_id FROM group_users WHERE group_id = @groupId ORDER BY user_id", new { groupId }).AsList();
    }

    /// <summary>The numbers of the group's roles.</summary>
    public IReadOnlyList<long> GroupRoles(long groupId)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT role_id FROM group_roles WHERE group_id = @groupId ORDER BY role_id", new { groupId }).Select(id => id + SharedBase).AsList();
    }

    private static void SetMembers(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, long groupId, IEnumerable<long> userIds, IEnumerable<long> roles)
    {
        foreach (var userId in userIds.Distinct()) c.Execute("INSERT INTO group_users (group_id, user_id) VALUES (@groupId, @userId) ON CONFLICT DO NOTHING", new { groupId, userId }, t);
        foreach (var role in roles.Distinct()) c.Execute("INSERT INTO group_roles (group_id, role_id) VALUES (@groupId, @roleId) ON CONFLICT DO NOTHING", new { groupId, roleId = role - SharedBase }, t);
    }
}
