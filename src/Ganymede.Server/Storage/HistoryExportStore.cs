using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>Exports of histories to archives (<see cref="HistoryExportRecord"/>).</summary>
public sealed class HistoryExportStore(Database db)
{
    public HistoryExportRecord Create(long historyId, long userId, string options, string version)
    {
        using var c = db.Open();
        var now = Database.Now();
        return c.QuerySingle<HistoryExportRecord>(
            """
            INSERT INTO history_exports (history_id, user_id, options, version, state, create_time, update_time)
            VALUES (@historyId, @userId, @options, @version, 'new', @now, @now) RETURNING *
            """, new { historyId, userId, options, version, now });
    }

    public HistoryExportRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<HistoryExportRecord>("SELECT * FROM history_exports WHERE id = @id", new { id });
    }

    /// <summary>The history's exports, newest first.</summary>
    public IReadOnlyList<HistoryExportRecord> List(long historyId)
    {
        using var c = db.Open();
        return c.Query<HistoryExportRecord>("SELECT * FROM history_exports WHERE history_id = @historyId ORDER BY id DESC", new { historyId }).AsList();
    }

    public void SetState(long id, string state, string? info)
    {
        using var c = db.Open();
        c.Execute("UPDATE history_exports SET state = @state, info = @info, update_time = @now WHERE id = @id", new { id, state, info, now = Database.Now() });
    }
}
