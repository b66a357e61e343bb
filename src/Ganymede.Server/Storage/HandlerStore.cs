using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>A server as a job handler: its name, where it runs, and when it last said it was alive.</summary>
public sealed class HandlerRecord
{
    public string Name { get; set; } = "";
    public string Host { get; set; } = "";
    public long Pid { get; set; }
    public string StartTime { get; set; } = "";
    public string Heartbeat { get; set; } = "";
}

/// <summary>
/// The servers that handle jobs on one database (Galaxy's job handlers). Each writes a heartbeat; one whose heartbeat
/// is older than the timeout is taken for dead, and exactly one of the others adopts its jobs.
/// </summary>
public sealed class HandlerStore(Database db)
{
    public HandlerRecord? Get(string name)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<HandlerRecord>("SELECT * FROM handlers WHERE name = @name", new { name });
    }

    /// <summary>The handlers alive at <paramref name="since"/> (heartbeat at or after it), the longest running first.</summary>
    public IReadOnlyList<HandlerRecord> Alive(string since)
    {
        using var c = db.Open();
        return c.Query<HandlerRecord>("SELECT * FROM handlers WHERE heartbeat >= @since ORDER BY start_time, name", new { since }).AsList();
    }

    /// <summary>Handlers whose last heartbeat is before <paramref name="before"/>.</summary>
    public IReadOnlyList<string> Silent(string before)
    {
        using var c = db.Open();
        return c.Query<string>("SELECT name FROM handlers WHERE heartbeat < @before ORDER BY name", new { before }).AsList();
    }

    /// <summary>Records this server as <paramref name="name"/>, alive now (a restart under the same name keeps its jobs).</summary>
    public void Register(string name, string host, long pid)
    {
        using var c = db.Open();
        var now = Database.Now();
        c.Execute(
            """
            INSERT INTO handlers (name, host, pid, start_time, heartbeat) VALUES (@name, @host, @pid, @now, @now)
            ON CONFLICT (name) DO UPDATE SET host = @host, pid = @pid, start_time = @now, heartbeat = @now
            """, new { name, host, pid, now });
    }

    /// <summary>Says the handler is alive; false when its row is gone (others took it for dead and adopted its jobs).</summary>
    public bool Beat(string name)
    {
        using var c = db.Open();
        return c.Execute("UPDATE handlers SET heartbeat = @now WHERE name = @name", new { name, now = Database.Now() }) == 1;
    }

    /// <summary>Removes a stopping handler (its jobs go on; whoever starts under its name again, or adopts them, watches them).</summary>
    public void Remove(string name)
    {
        using var c = db.Open();
        c.Execute("DELETE FROM handlers WHERE name = @name", new { name });
    }

    /// <summary>
    /// Moves the unfinished jobs of <paramref name="dead"/> to <paramref name="adopter"/>, if <paramref name="dead"/> is
    /// still silent since <paramref name="before"/>: in one transaction whose first step removes the dead handler, so
    /// of several servers adopting at once exactly one gets its jobs. Jobs of no handler that are running or being
    /// made (left by a program from before handlers) are adopted the same way with <paramref name="dead"/> null.
    /// </summary>
    /// <returns>the jobs adopted, as they were before (their state and external id tell the adopter what to do).</returns>
    public IReadOnlyList<JobRecord> Adopt(string? dead, string adopter, string before)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        if (dead is not null && c.Execute("DELETE FROM handlers WHERE name = @dead AND heartbeat < @before", new { dead, before }, t) != 1) return [];
        var adopted = c.Query<JobRecord>(
            "UPDATE jobs SET handler = @adopter WHERE " + (dead is null ? "handler IS NULL" : "handler = @dead") +
            " AND state IN ('new', 'running', 'queued') AND NOT (handler IS NULL AND state = 'queued') RETURNING *", new { dead, adopter }, t).AsList();
        t.Commit();
        return adopted;
    }
}
