using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>Jobs. The jobs table is the queue: a job in state queued is waiting for a runner slot, so a restart loses nothing.</summary>
public sealed class JobStore(Database db)
{
    public JobRecord Create(JobRecord job)
    {
        using var c = db.Open();
        var now = Database.Now();
        return c.QuerySingle<JobRecord>(
            """
            INSERT INTO jobs (user_id, history_id, tool_id, tool_version, state, exit_code, params, inputs, outputs, info, handler, create_time, update_time)
            VALUES (@UserId, @HistoryId, @ToolId, @ToolVersion, @State, @ExitCode, @Params, @Inputs, @Outputs, @Info, @Handler, @now, @now) RETURNING *
            """, new { job.UserId, job.HistoryId, job.ToolId, job.ToolVersion, job.State, job.ExitCode, job.Params, job.Inputs, job.Outputs, job.Info, job.Handler, now });
    }

    public JobRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<JobRecord>("SELECT * FROM jobs WHERE id = @id", new { id });
    }

    /// <summary>The tool of every job in a history, by job id (one query for a page of datasets).</summary>
    public Dictionary<long, string> ToolIds(long historyId)
    {
        using var c = db.Open();
        return c.Query<(long Id, string ToolId)>("SELECT id, tool_id FROM jobs WHERE history_id = @historyId", new { historyId }).ToDictionary(j => j.Id, j => j.ToolId);
    }

    public void SetOutputs(long id, string outputs)
    {
        using var c = db.Open();
        c.Execute("UPDATE jobs SET outputs = @outputs, update_time = @now WHERE id = @id", new { id, outputs, now = Database.Now() });
    }

    /// <summary>The job's output datasets by output name, as stored now (outputs discovered after the job ended included).</summary>
    public Dictionary<string, long> Outputs(JobRecord job) =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, long>>(Get(job.Id)?.Outputs ?? job.Outputs)!;

    /// <summary>
    /// Moves a job to a new state only if it is still in <paramref name="from"/>; false when another actor (a cancel)
    /// got there first. A job entering the queue belongs to no handler until one claims it (<see cref="Claim"/>).
    /// </summary>
    /// <remarks>A job that ends loses its API keys (<see cref="UserStore.CreateJobKey"/>).</remarks>
    public bool Transition(long id, string from, string to, int? exitCode = null, string? externalId = null, string? info = null, string? commandLine = null)
    {
        using var c = db.Open();
        bool moved = c.Execute(
            """
            UPDATE jobs SET state = @to, exit_code = COALESCE(@exitCode, exit_code), external_id = COALESCE(@externalId, external_id),
              info = COALESCE(@info, info), command_line = COALESCE(@commandLine, command_line),
              handler = CASE WHEN @to = 'queued' THEN NULL ELSE handler END, update_time = @now
            WHERE id = @id AND state = @from
            """, new { id, from, to, exitCode, externalId, info, commandLine, now = Database.Now() }) == 1;
        if (moved && JobStates.IsTerminal(to)) c.Execute("DELETE FROM job_keys WHERE job_id = @id", new { id });
        return moved;
    }

    /// <summary>Stores the progress a running job reported (JSON) and moves its update_time, as Galaxy does while a job works.</summary>
    public void SetProgress(long id, string progress)
    {
        using var c = db.Open();
        c.Execute("UPDATE jobs SET progress = @progress, update_time = @now WHERE id = @id", new { id, progress, now = Database.Now() });
    }

    /// <summary>
    /// The user's jobs waiting or running, for the jobs quota. Uploads, which run inside their request without a
    /// process (no external id), are not counted.
    /// </summary>
    public int CountUnfinished(long userId)
    {
        using var c = db.Open();
        return c.ExecuteScalar<int>(
            "SELECT COUNT(*) FROM jobs WHERE user_id = @userId AND (state IN ('new', 'queued') OR (state = 'running' AND external_id IS NOT NULL))", new { userId });
    }

    /// <summary>Jobs waiting and running per user (uploads left out, as in <see cref="CountUnfinished"/>), for the dashboard.</summary>
    public IReadOnlyList<(long UserId, string Email, int Queued, int Running)> UnfinishedByUser()
    {
        using var c = db.Open();
        return c.Query<(long, string, int, int)>(
            """
            SELECT u.id, u.email, SUM(CASE WHEN j.state IN ('new', 'queued') THEN 1 ELSE 0 END), SUM(CASE WHEN j.state = 'running' THEN 1 ELSE 0 END)
            FROM jobs j JOIN users u ON u.id = j.user_id
            WHERE j.state IN ('new', 'queued') OR (j.state = 'running' AND j.external_id IS NOT NULL)
            GROUP BY u.id, u.email ORDER BY u.email
            """).AsList();
    }

    /// <summary>The user's jobs not ended yet, uploads included.</summary>
    public IReadOnlyList<JobRecord> Unfinished(long userId)
    {
        using var c = db.Open();
        return c.Query<JobRecord>("SELECT * FROM jobs WHERE user_id = @userId AND state IN ('new', 'queued', 'running') ORDER BY id", new { userId }).AsList();
    }

    public IReadOnlyList<JobRecord> InState(string state, int limit = int.MaxValue)
    {
        using var c = db.Open();
        return c.Query<JobRecord>("SELECT * FROM jobs WHERE state = @state ORDER BY id LIMIT @limit", new { state, limit }).AsList();
    }

    /// <summary>The jobs in <paramref name="state"/> that belong to <paramref name="handler"/>.</summary>
    public IReadOnlyList<JobRecord> OfHandler(string handler, string state)
    {
        using var c = db.Open();
        return c.Query<JobRecord>("SELECT * FROM jobs WHERE handler = @handler AND state = @state ORDER BY id", new { handler, state }).AsList();
    }

    /// <summary>Queued jobs no handler has taken yet, and those <paramref name="handler"/> took, oldest first.</summary>
    public IReadOnlyList<JobRecord> QueuedFor(string handler)
    {
        using var c = db.Open();
        return c.Query<JobRecord>("SELECT * FROM jobs WHERE state = 'queued' AND (handler IS NULL OR handler = @handler) ORDER BY id", new { handler }).AsList();
    }

    /// <summary>
    /// Takes a queued job for <paramref name="handler"/> to start: true for exactly one of several servers asking at
    /// once (a conditional update, atomic in either database), false when another has it or it left the queue.
    /// </summary>
    public bool Claim(long id, string handler)
    {
        using var c = db.Open();
        return c.Execute("UPDATE jobs SET handler = @handler, info = NULL WHERE id = @id AND state = 'queued' AND (handler IS NULL OR handler = @handler)", new { id, handler }) == 1;
    }

    /// <summary>Says why a queued job waits (GET /api/jobs/{id} shows it as its info); <see cref="Claim"/> clears it.</summary>
    public void Hold(long id, string reason)
    {
        using var c = db.Open();
        c.Execute("UPDATE jobs SET info = @reason, update_time = @now WHERE id = @id AND state = 'queued'", new { id, reason, now = Database.Now() });
    }

    /// <summary>Jobs running per user, on every server (uploads, which run inside their request, left out).</summary>
    public Dictionary<long, int> RunningByUser()
    {
        using var c = db.Open();
        return c.Query<(long UserId, long Count)>("SELECT user_id, COUNT(*) FROM jobs WHERE state = 'running' AND external_id IS NOT NULL GROUP BY user_id")
            .ToDictionary(r => r.UserId, r => (int)r.Count);
    }

    /// <summary>A user's jobs (all users' for an admin asking for them), for GET /api/jobs.</summary>
    /// <param name="updatedFrom">only jobs last changed at or after this time (ISO-8601, as stored); <paramref name="updatedBefore"/> before it.</param>
    public IReadOnlyList<JobRecord> List(long? userId, long? historyId, string[]? states, string[]? toolIds, int limit, int offset, string order,
        string? updatedFrom = null, string? updatedBefore = null, long? invocationId = null, long? workflowId = null)
    {
        var sql = new System.Text.StringBuilder("SELECT * FROM jobs WHERE 1 = 1");
        var p = new DynamicParameters(new { limit, offset });
        void Add(string clause, string name, object? value) { if (value is null) return; sql.Append(" AND ").Append(clause); p.Add(name, value); }
        Add("user_id = @userId", "userId", userId);
        Add("history_id = @historyId", "historyId", historyId);
        Add(db.In("state", "states"), "states", states);
        Add(db.In("tool_id", "toolIds"), "toolIds", toolIds);
        Add("update_time >= @updatedFrom", "updatedFrom", updatedFrom);
        Add("update_time < @updatedBefore", "updatedBefore", updatedBefore);
        Add("id IN (SELECT j.job_id FROM invocation_step_jobs j JOIN invocation_steps s ON s.id = j.step_id WHERE s.invocation_id = @invocationId)", "invocationId", invocationId);
        Add("""
            id IN (SELECT j.job_id FROM invocation_step_jobs j JOIN invocation_steps s ON s.id = j.step_id JOIN invocations i ON i.id = s.invocation_id
              WHERE i.workflow_id = @workflowId)
            """, "workflowId", workflowId);
        sql.Append(order == "create_time" ? " ORDER BY create_time DESC, id DESC" : " ORDER BY update_time DESC, id DESC").Append(" LIMIT @limit OFFSET @offset");
        using var c = db.Open();
        return c.Query<JobRecord>(sql.ToString(), p).AsList();
    }
}
