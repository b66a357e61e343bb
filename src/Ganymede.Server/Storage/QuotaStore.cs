using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>Galaxy's quotas (<see cref="QuotaRecord"/>) and the users and groups each one applies to.</summary>
public sealed class QuotaStore(Database db)
{
    public QuotaRecord Create(QuotaRecord quota, IEnumerable<long> userIds, IEnumerable<long> groupIds)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        CheckName(c, t, quota.Name, 0);
        var now = Database.Now();
        if (quota.DefaultFor is not null) c.Execute("UPDATE quotas SET default_for = NULL WHERE default_for = @DefaultFor", quota, t);
        var created = c.QuerySingle<QuotaRecord>(
            """
            INSERT INTO quotas (name, description, bytes, operation, default_for, create_time, update_time)
            VALUES (@Name, @Description, @Bytes, @Operation, @DefaultFor, @now, @now) RETURNING *
            """, new { quota.Name, quota.Description, quota.Bytes, quota.Operation, quota.DefaultFor, now }, t);
        SetMembers(c, t, created.Id, userIds, groupIds);
        t.Commit();
        return created;
    }

    public QuotaRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<QuotaRecord>("SELECT * FROM quotas WHERE id = @id", new { id });
    }

    public IReadOnlyList<QuotaRecord> List(bool deleted)
    {
        using var c = db.Open();
        return c.Query<QuotaRecord>("SELECT * FROM quotas WHERE deleted = @deleted ORDER BY name", new { deleted = Database.Flag(deleted) }).AsList();
    }

    /// <summary>Stores the quota's new settings, and its users and groups when given (each replaces the old list).</summary>
    public void Update(QuotaRecord quota, IEnumerable<long>? userIds, IEnumerable<long>? groupIds)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        CheckName(c, t, quota.Name, quota.Id);
        if (quota.DefaultFor is not null) c.Execute("UPDATE quotas SET default_for = NULL WHERE default_for = @DefaultFor AND id <> @Id", quota, t);
        c.Execute(
            """
            UPDATE quotas SET name = @Name, description = @Description, bytes = @Bytes, operation = @Operation, default_for = @DefaultFor,
              deleted = @Deleted, update_time = @now WHERE id = @Id
            """, new { quota.Id, quota.Name, quota.Description, quota.Bytes, quota.Operation, quota.DefaultFor, Deleted = Database.Flag(quota.Deleted), now = Database.Now() }, t);
        if (userIds is not null) c.Execute("DELETE FROM quota_users WHERE quota_id = @Id", quota, t);
        if (groupIds is not null) c.Execute("DELETE FROM quota_groups WHERE quota_id = @Id", quota, t);
        SetMembers(c, t, quota.Id, userIds ?? [], groupIds ?? []);
        t.Commit();
    }

    public IReadOnlyList<long> Users(long quotaId)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT user_id FROM quota_users WHERE quota_id = @quotaId ORDER BY user_id", new { quotaId }).AsList();
    }

    public IReadOnlyList<long> Groups(long quotaId)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT group_id FROM quota_groups WHERE quota_id = @quotaId ORDER BY group_id", new { quotaId }).AsList();
    }

    /// <summary>The quotas in force for a user: given to them, to one of their groups, or the default for registered users.</summary>
    public IReadOnlyList<QuotaRecord> Applying(long userId)
    {
        using var c = db.Open();
        return c.Query<QuotaRecord>(
            """
            SELECT * FROM quotas WHERE deleted = 0 AND (default_for = 'registered'
              OR id IN (SELECT quota_id FROM quota_users WHERE user_id = @userId)
              OR id IN (SELECT qg.quota_id FROM quota_groups qg JOIN group_users gu ON gu.group_id = qg.group_id WHERE gu.user_id = @userId))
            """, new { userId }).AsList();
    }

    private static void CheckName(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, string name, long id)
    {
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM quotas WHERE name = @name AND id <> @id", new { name, id }, t) > 0)
            throw new ArgumentException($"a quota named '{name}' already exists");
    }

    private static void SetMembers(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, long quotaId, IEnumerable<long> userIds, IEnumerable<long> groupIds)
    {
        foreach (var userId in userIds.Distinct()) c.Execute("INSERT INTO quota_users (quota_id, user_id) VALUES (@quotaId, @userId) ON CONFLICT DO NOTHING", new { quotaId, userId }, t);
        foreach (var groupId in groupIds.Distinct()) c.Execute("INSERT INTO quota_groups (quota_id, group_id) VALUES (@quotaId, @groupId) ON CONFLICT DO NOTHING", new { quotaId, groupId }, t);
    }
}
