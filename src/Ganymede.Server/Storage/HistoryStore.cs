using Dapper;

namespace Ganymede.Server.Storage;

public sealed class HistoryStore(Database db)
{
    public HistoryRecord Create(long userId, string name)
    {
        using var c = db.Open();
        var now = Database.Now();
        return c.QuerySingle<HistoryRecord>(
            "INSERT INTO histories (user_id, name, create_time, update_time) VALUES (@userId, @name, @now, @now) RETURNING *",
            new { userId, name, now });
    }

    public HistoryRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<HistoryRecord>("SELECT * FROM histories WHERE id = @id", new { id });
    }

    /// <summary>A user's histories, newest change first; null filters are not applied.</summary>
    public IReadOnlyList<HistoryRecord> List(long userId, bool? deleted, bool? published)
    {
        using var c = db.Open();
        return c.Query<HistoryRecord>(
            """
            SELECT * FROM histories WHERE user_id = @userId
              AND (@deleted IS NULL OR deleted = @deleted) AND (@published IS NULL OR published = @published)
            ORDER BY update_time DESC, id DESC
            """, new { userId, deleted = Database.Flag(deleted), published = Database.Flag(published) }).AsList();
    }

    /// <summary>Every user's histories (an administrator's view), or every published one; newest change first.</summary>
    public IReadOnlyList<HistoryRecord> ListAll(bool? deleted, bool publishedOnly)
    {
        using var c = db.Open();
        return c.Query<HistoryRecord>(
            """
            SELECT * FROM histories WHERE (@deleted IS NULL OR deleted = @deleted) AND (@publishedOnly = 0 OR published = 1)
            ORDER BY update_time DESC, id DESC
            """, new { deleted = Database.Flag(deleted), publishedOnly = Database.Flag(publishedOnly) }).AsList();
    }

    /// <summary>Sets what is given (null leaves a field as it is); <paramref name="tags"/> is the tags' JSON.</summary>
    public void Update(long id, string? name, string? annotation, bool? deleted, bool? published, string? tags = null, string? slug = null)
    {
        using var c = db.Open();
        c.Execute(
            """
            UPDATE histories SET name = COALESCE(@name, name), annotation = COALESCE(@annotation, annotation),
              deleted = COALESCE(@deleted, deleted), published = COALESCE(@published, published), tags = COALESCE(@tags, tags),
              slug = COALESCE(@slug, slug), update_time = @now
            WHERE id = @id
            """, new { id, name, annotation, deleted = Database.Flag(deleted), published = Database.Flag(published), tags, slug, now = Database.Now() });
    }

    /// <summary>Whether anyone with the history's id may read it (Galaxy's link access).</summary>
    public void SetImportable(long id, bool importable)
    {
        using var c = db.Open();
        c.Execute("UPDATE histories SET importable = @importable, update_time = @now WHERE id = @id", new { id, importable = Database.Flag(importable), now = Database.Now() });
    }

    /// <summary>The users the history is shared with, by id.</summary>
    public IReadOnlyList<long> SharedWith(long historyId)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT user_id FROM history_shares WHERE history_id = @historyId ORDER BY user_id", new { historyId }).AsList();
    }

    /// <summary>Replaces the users the history is shared with.</summary>
    public void Share(long historyId, IEnumerable<long> userIds)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        c.Execute("DELETE FROM history_shares WHERE history_id = @historyId", new { historyId }, t);
        foreach (var userId in userIds.Distinct())
            c.Execute("INSERT INTO history_shares (history_id, user_id, create_time) VALUES (@historyId, @userId, @now)", new { historyId, userId, now = Database.Now() }, t);
        t.Commit();
    }

    public bool IsSharedWith(long historyId, long userId)
    {
        using var c = db.Open();
        return c.ExecuteScalar<long>("SELECT COUNT(*) FROM history_shares WHERE history_id = @historyId AND user_id = @userId", new { historyId, userId }) > 0;
    }

    /// <summary>Other users' histories shared with this one, not deleted, newest change first.</summary>
    public IReadOnlyList<HistoryRecord> SharedWithUser(long userId)
    {
        using var c = db.Open();
        return c.Query<HistoryRecord>(
            """
            SELECT h.* FROM histories h JOIN history_shares s ON s.history_id = h.id
            WHERE s.user_id = @userId AND h.deleted = 0 ORDER BY h.update_time DESC, h.id DESC
            """, new { userId }).AsList();
    }

    /// <summary>Whether the user has another history published under <paramref name="slug"/>.</summary>
    public bool SlugTaken(long userId, long historyId, string slug)
    {
        using var c = db.Open();
        return c.ExecuteScalar<long>("SELECT COUNT(*) FROM histories WHERE user_id = @userId AND id <> @historyId AND slug = @slug", new { userId, historyId, slug }) > 0;
    }

    public void Delete(long id, bool purge)
    {
        using var c = db.Open();
        c.Execute("UPDATE histories SET deleted = 1, purged = CASE WHEN @purge = 1 THEN 1 ELSE purged END, update_time = @now WHERE id = @id",
            new { id, purge = Database.Flag(purge), now = Database.Now() });
    }

    /// <summary>Dataset counts per state over the history's non-deleted datasets.</summary>
    public Dictionary<string, long> StateCounts(long id)
    {
        using var c = db.Open();
        return c.Query<(string State, long Count)>(
            "SELECT state, COUNT(*) FROM datasets WHERE history_id = @id AND deleted = 0 GROUP BY state", new { id })
            .ToDictionary(r => r.State, r => r.Count);
    }

    public (long Count, long Size) Totals(long id)
    {
        using var c = db.Open();
        return c.QuerySingle<(long, long)>(
            "SELECT COUNT(*), COALESCE(SUM(file_size), 0) FROM datasets WHERE history_id = @id AND deleted = 0", new { id });
    }
}
