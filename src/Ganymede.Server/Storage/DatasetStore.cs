using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>Datasets (Galaxy's HDAs): a row per history item; the bytes live in <see cref="FileStore"/>.</summary>
public sealed class DatasetStore(Database db)
{
    /// <summary>Adds a dataset to a history, numbering it with the history's next hid (in one transaction).</summary>
    public DatasetRecord Create(long historyId, long userId, string name, string extension, string state, long? creatingJobId = null, string? basename = null, bool visible = true)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        var now = Database.Now();
        long hid = c.ExecuteScalar<long>(
            "UPDATE histories SET next_hid = next_hid + 1, update_time = @now WHERE id = @historyId RETURNING next_hid - 1",
            new { historyId, now }, t);
        var record = c.QuerySingle<DatasetRecord>(
            """
            INSERT INTO datasets (history_id, user_id, hid, name, extension, state, visible, creating_job_id, created_from_basename, uuid, create_time, update_time)
            VALUES (@historyId, @userId, @hid, @name, @extension, @state, @visible, @creatingJobId, @basename, @uuid, @now, @now) RETURNING *
            """,
            new { historyId, userId, hid, name, extension, state, visible = Database.Flag(visible), creatingJobId, basename, uuid = Guid.NewGuid().ToString(), now }, t);
        t.Commit();
        return record;
    }

    public DatasetRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<DatasetRecord>("SELECT * FROM datasets WHERE id = @id", new { id });
    }

    /// <summary>
    /// What changes whenever the history's list of contents does (every change of a dataset or collection moves its
    /// update_time; a new one takes the next hid, and none is ever removed): a query of four index lookups that tells
    /// whether a listing made earlier still holds.
    /// </summary>
    public string ContentsVersion(long historyId)
    {
        using var c = db.Open();
        var (datasets, datasetTime, collections, collectionTime) = c.QuerySingle<(long?, string?, long?, string?)>(
            """
            SELECT (SELECT MAX(hid) FROM datasets WHERE history_id = @historyId),
                   (SELECT MAX(update_time) FROM datasets WHERE history_id = @historyId),
                   (SELECT MAX(hid) FROM history_collections WHERE history_id = @historyId),
                   (SELECT MAX(update_time) FROM history_collections WHERE history_id = @historyId)
            """, new { historyId });
        return $"{datasets}|{datasetTime}|{collections}|{collectionTime}";
    }

    public IReadOnlyList<DatasetRecord> ListByHistory(long historyId, bool? deleted = null, bool? visible = null)
    {
        using var c = db.Open();
        return c.Query<DatasetRecord>(
            """
            SELECT * FROM datasets WHERE history_id = @historyId
              AND (@deleted IS NULL OR deleted = @deleted) AND (@visible IS NULL OR visible = @visible)
            ORDER BY hid
            """, new { historyId, deleted = Database.Flag(deleted), visible = Database.Flag(visible) }).AsList();
    }

    /// <summary>A user's datasets across histories, for GET /api/datasets.</summary>
    public IReadOnlyList<DatasetRecord> Query(long userId, DatasetQuery q)
    {
        var sql = new System.Text.StringBuilder("SELECT d.* FROM datasets d LEFT JOIN jobs j ON j.id = d.creating_job_id WHERE d.user_id = @userId");
        var p = new DynamicParameters(new { userId, limit = q.Limit, offset = q.Offset });
        void Add(string clause, string name, object? value) { if (value is null) return; sql.Append(" AND ").Append(clause); p.Add(name, value); }
        Add("d.history_id = @historyId", "historyId", q.HistoryId);
        Add("LOWER(d.name) LIKE LOWER(@name)", "name", q.Name is null ? null : "%" + q.Name + "%");
        Add(db.In("d.state", "states"), "states", q.States);
        Add(db.In("d.extension", "extensions"), "extensions", q.Extensions);
        Add("d.visible = @visible", "visible", Database.Flag(q.Visible));
        Add("d.deleted = @deleted", "deleted", Database.Flag(q.Deleted));
        Add("d.purged = @purged", "purged", Database.Flag(q.Purged));
        Add("j.tool_id = @toolId", "toolId", q.ToolId);
        Add("d.create_time >= @createMin", "createMin", q.CreateTimeMin);
        Add("d.create_time <= @createMax", "createMax", q.CreateTimeMax);
        Add("d.update_time >= @updateMin", "updateMin", q.UpdateTimeMin);
        Add("d.update_time <= @updateMax", "updateMax", q.UpdateTimeMax);
        sql.Append(q.OrderColumn switch { "update_time" => " ORDER BY d.update_time", "name" => " ORDER BY d.name", "hid" => " ORDER BY d.hid", _ => " ORDER BY d.create_time" })
           .Append(q.Descending ? " DESC, d.id DESC" : ", d.id").Append(" LIMIT @limit OFFSET @offset");
        using var c = db.Open();
        return c.Query<DatasetRecord>(sql.ToString(), p).AsList();
    }

    /// <summary>
    /// Ends datasets still unfinished although the job making them has ended (the server stopped while collecting
    /// them): in error, or discarded when the job was cancelled. Returns how many.
    /// </summary>
    public int EndOrphans(string reason)
    {
        using var c = db.Open();
        return c.Execute(
            """
            UPDATE datasets SET
              state = CASE (SELECT j.state FROM jobs j WHERE j.id = datasets.creating_job_id) WHEN 'deleted' THEN 'discarded' ELSE 'error' END,
              info = @reason, update_time = @now
            WHERE state IN ('new', 'upload', 'queued', 'running', 'setting_metadata')
              AND creating_job_id IN (SELECT id FROM jobs WHERE state IN ('ok', 'error', 'deleted'))
            """, new { reason, now = Database.Now() });
    }

    public void SetState(long id, string state, string? info = null)
    {
        using var c = db.Open();
        c.Execute("UPDATE datasets SET state = @state, info = COALESCE(@info, info), update_time = @now WHERE id = @id",
            new { id, state, info, now = Database.Now() });
    }

    /// <summary>Moves a dataset's state on only from <paramref name="from"/>: false when something else moved it first.</summary>
    public bool Transition(long id, string from, string to)
    {
        using var c = db.Open();
        return c.Execute("UPDATE datasets SET state = @to, update_time = @now WHERE id = @id AND state = @from", new { id, from, to, now = Database.Now() }) == 1;
    }

    /// <summary>Records a dataset's finished file and its metadata, and sets its final state, in one statement.</summary>
    public void Complete(long id, FileFacts facts, string state, string? info = null)
    {
        using var c = db.Open();
        c.Execute(
            """
            UPDATE datasets SET extension = @Extension, file_size = @Size, sha256 = @Sha256, peek = @Peek, metadata = @Metadata,
              state = @state, info = @info, update_time = @now WHERE id = @id
            """,
            new { id, facts.Extension, facts.Size, facts.Sha256, facts.Peek, facts.Metadata, state, info = info ?? facts.Blurb, now = Database.Now() });
    }

    public void Update(long id, string? name, bool? visible, bool? deleted)
    {
        using var c = db.Open();
        c.Execute("UPDATE datasets SET name = COALESCE(@name, name), visible = COALESCE(@visible, visible), deleted = COALESCE(@deleted, deleted), update_time = @now WHERE id = @id",
            new { id, name, visible = Database.Flag(visible), deleted = Database.Flag(deleted), now = Database.Now() });
    }

    public void SetPublished(long id, bool published)
    {
        using var c = db.Open();
        c.Execute("UPDATE datasets SET published = @published, update_time = @now WHERE id = @id", new { id, published = Database.Flag(published), now = Database.Now() });
    }

    public void SetCreatingJob(long id, long jobId)
    {
        using var c = db.Open();
        c.Execute("UPDATE datasets SET creating_job_id = @jobId, update_time = @now WHERE id = @id", new { id, jobId, now = Database.Now() });
    }

    /// <summary>Stores what a user says about a dataset: its annotation, genome build, information and tags (JSON); null leaves each.</summary>
    public void Describe(long id, string? annotation, string? genomeBuild, string? info, string? tags = null)
    {
        using var c = db.Open();
        c.Execute(
            """
            UPDATE datasets SET annotation = COALESCE(@annotation, annotation), genome_build = COALESCE(@genomeBuild, genome_build), info = COALESCE(@info, info),
              tags = COALESCE(@tags, tags), update_time = @now WHERE id = @id
            """, new { id, annotation, genomeBuild, info, tags, now = Database.Now() });
    }

    public void Delete(long id, bool purge)
    {
        using var c = db.Open();
        c.Execute("UPDATE datasets SET deleted = 1, purged = CASE WHEN @purge = 1 THEN 1 ELSE purged END, update_time = @now WHERE id = @id",
            new { id, purge = Database.Flag(purge), now = Database.Now() });
    }

    public IReadOnlyList<long> IdsOfHistory(long historyId)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT id FROM datasets WHERE history_id = @historyId", new { historyId }).AsList();
    }
}

/// <summary>The filters of GET /api/datasets (BioBlend's get_datasets), already parsed.</summary>
public sealed record DatasetQuery
{
    public int Limit { get; init; } = 500;
    public int Offset { get; init; }
    public long? HistoryId { get; init; }
    public string? Name { get; init; }
    public string[]? States { get; init; }
    public string[]? Extensions { get; init; }
    public bool? Visible { get; init; }
    public bool? Deleted { get; init; }
    public bool? Purged { get; init; }
    public string? ToolId { get; init; }
    public string? CreateTimeMin { get; init; }
    public string? CreateTimeMax { get; init; }
    public string? UpdateTimeMin { get; init; }
    public string? UpdateTimeMax { get; init; }
    public string OrderColumn { get; init; } = "create_time";
    public bool Descending { get; init; } = true;
}

/// <summary>What the server learned about a stored file: its type, size, checksum and a short description.</summary>
public sealed record FileFacts(string Extension, long Size, string Sha256, string? Peek, string? Metadata, string? Blurb);
