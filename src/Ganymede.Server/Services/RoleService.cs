using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>A role as people see it: its number, name, description and Galaxy's type ("private" for a user's own, "admin" for one an administrator made).</summary>
public sealed record RoleInfo(long Number, string Name, string Description, string Type);

/// <summary>
/// The rules for roles and groups: only administrators make and change them; everything they name must exist; a user
/// sees the roles they have, an administrator every role.
/// </summary>
public sealed class RoleService(RoleStore roles, UserStore users)
{
    public RoleInfo CreateRole(UserRecord by, string? name, string? description, IReadOnlyList<long> userIds, IReadOnlyList<long> groupIds)
    {
        RequireAdmin(by, "roles");
        name = CheckName(name, "role");
        CheckUsers(userIds);
        CheckGroups(groupIds);
        try { return Info(roles.CreateRole(name, description?.Trim() ?? "", userIds, groupIds)); }
        catch (ArgumentException e) { throw new ApiException(409, 409001, e.Message); }
    }

    /// <summary>The role with this number, or 404.</summary>
    public RoleInfo Role(long number)
    {
        if (RoleStore.IsPrivate(number))
            return users.Get(number) is { } user ? Private(user) : throw ApiException.NotFound("role not found");
        return roles.GetRole(number) is { } role ? Info(role) : throw ApiException.NotFound("role not found");
    }

    /// <summary>An administrator: every role (each user's private one, then the shared ones); anyone else: the roles they have.</summary>
    public IEnumerable<RoleInfo> VisibleTo(UserRecord user)
    {
        if (user.IsAdmin) return users.All().Select(Private).Concat(roles.SharedRoles().Select(Info));
        var mine = roles.RolesOf(user.Id);
        return mine.Order().Select(Role);
    }

    /// <summary>May <paramref name="user"/> read this role? Their own, or any for an administrator.</summary>
    public RoleInfo RoleFor(UserRecord user, long number) =>
        user.IsAdmin || roles.RolesOf(user.Id).Contains(number) ? Role(number) : throw ApiException.Forbidden("you do not have this role");

    public GroupRecord CreateGroup(UserRecord by, string? name, IReadOnlyList<long> userIds, IReadOnlyList<long> roleNumbers)
    {
        RequireAdmin(by, "groups");
        name = CheckName(name, "group");
        CheckUsers(userIds);
        CheckSharedRoles(roleNumbers);
        try { return roles.CreateGroup(name, userIds, roleNumbers); }
        catch (ArgumentException e) { throw new ApiException(409, 409001, e.Message); }
    }

    public GroupRecord Group(UserRecord by, long id)
    {
        RequireAdmin(by, "groups");
        return roles.GetGroup(id) ?? throw ApiException.NotFound("group not found");
    }

    public IReadOnlyList<GroupRecord> Groups(UserRecord by)
    {
        RequireAdmin(by, "groups");
        return roles.Groups();
    }

    public void UpdateGroup(UserRecord by, GroupRecord group, string? name, IReadOnlyList<long>? userIds, IReadOnlyList<long>? roleNumbers)
    {
        RequireAdmin(by, "groups");
        if (name is not null) name = CheckName(name, "group");
        if (userIds is not null) CheckUsers(userIds);
        if (roleNumbers is not null) CheckSharedRoles(roleNumbers);
        try { roles.UpdateGroup(group.Id, name, userIds, roleNumbers); }
        catch (ArgumentException e) { throw new ApiException(409, 409001, e.Message); }
    }

    public void AddUser(UserRecord by, GroupRecord group, long userId)
    {
        RequireAdmin(by, "groups");
        CheckUsers([userId]);
        roles.AddGroupUser(group.Id, userId);
    }

    public void RemoveUser(UserRecord by, GroupRecord group, long userId)
    {
        RequireAdmin(by, "groups");
        roles.RemoveGroupUser(group.Id, userId);
    }

    public void AddRole(UserRecord by, GroupRecord group, long number)
    {
        RequireAdmin(by, "groups");
        CheckSharedRoles([number]);
        roles.AddGroupRole(group.Id, number);
    }

    public void RemoveRole(UserRecord by, GroupRecord group, long number)
    {
        RequireAdmin(by, "groups");
        roles.RemoveGroupRole(group.Id, number);
    }

    /// <summary>Every role number must name a user's private role or a shared role.</summary>
    public void CheckRoles(IEnumerable<long> numbers)
    {
        foreach (var number in numbers) Role(number);
    }

    public void CheckUsers(IEnumerable<long> userIds)
    {
        foreach (var id in userIds)
            if (users.Get(id) is null) throw ApiException.NotFound("user not found");
    }

    public void CheckGroups(IEnumerable<long> groupIds)
    {
        foreach (var id in groupIds)
            if (roles.GetGroup(id) is null) throw ApiException.NotFound("group not found");
    }

    private void CheckSharedRoles(IEnumerable<long> numbers)
    {
        foreach (var number in numbers)
        {
            if (RoleStore.IsPrivate(number)) throw ApiException.BadRequest("a user's private role cannot be given to a group: add the user to the group instead");
            Role(number);
        }
    }

    public static void RequireAdmin(UserRecord by, string what)
    {
        if (!by.IsAdmin || by.ActsForJob) throw ApiException.Forbidden($"only an administrator may manage {what}");
    }

    private static string CheckName(string? name, string what)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) throw ApiException.MissingParameter($"a {what} needs a name");
        if (name.Length > 255 || name.Any(char.IsControl)) throw ApiException.BadRequest($"a {what}'s name is 1 to 255 characters, without control characters");
        return name;
    }

    private static RoleInfo Info(RoleRecord r) => new(r.Number, r.Name, r.Description, "admin");

    private static RoleInfo Private(UserRecord u) => new(u.Id, u.Email, $"Private Role for {u.Email}", "private");
}
