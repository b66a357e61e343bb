using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>Workflows with their versions, and their invocations with the steps reached so far.</summary>
public sealed class WorkflowStore(Database db)
{
    public WorkflowRecord Create(long userId, string name, string annotation, bool published, string definition)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        var now = Database.Now();
        var workflow = c.QuerySingle<WorkflowRecord>(
            """
            INSERT INTO workflows (user_id, name, annotation, published, uuid, create_time, update_time)
            VALUES (@userId, @name, @annotation, @published, @uuid, @now, @now) RETURNING *
            """, new { userId, name, annotation, published = Database.Flag(published), uuid = Guid.NewGuid().ToString(), now }, t);
        c.Execute("INSERT INTO workflow_versions (workflow_id, version, definition, create_time) VALUES (@id, 0, @definition, @now)", new { id = workflow.Id, definition, now }, t);
        t.Commit();
        return workflow;
    }

    public WorkflowRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<WorkflowRecord>("SELECT * FROM workflows WHERE id = @id", new { id });
    }

    /// <summary>The user's workflows (and, with <paramref name="published"/>, everyone's published ones), newest change first.</summary>
    public IReadOnlyList<WorkflowRecord> List(long userId, bool published, bool deleted)
    {
        using var c = db.Open();
        return c.Query<WorkflowRecord>(
            "SELECT * FROM workflows WHERE (user_id = @userId OR (@published = 1 AND published = 1)) AND deleted = @deleted ORDER BY update_time DESC, id DESC",
            new { userId, published = Database.Flag(published), deleted = Database.Flag(deleted) }).AsList();
    }

    public string Definition(long workflowId, int version)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<string>("SELECT definition FROM workflow_versions WHERE workflow_id = @workflowId AND version = @version", new { workflowId, version })
            ?? throw new KeyNotFoundException($"workflow version {version} not found");
    }

    public IReadOnlyList<(int Version, string Definition, string CreateTime)> Versions(long workflowId)
    {
        using var c = db.Open();
        return c.Query<(int, string, string)>("SELECT version, definition, create_time FROM workflow_versions WHERE workflow_id = @workflowId ORDER BY version", new { workflowId }).AsList();
    }

    /// <summary>Stores the workflow's settings; a new definition becomes its next version.</summary>
    public void Update(WorkflowRecord workflow, string? definition)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        var now = Database.Now();
        if (definition is not null)
        {
            workflow.LatestVersion++;
            c.Execute("INSERT INTO workflow_versions (workflow_id, version, definition, create_time) VALUES (@Id, @LatestVersion, @definition, @now)",
                new { workflow.Id, workflow.LatestVersion, definition, now }, t);
        }
        c.Execute("UPDATE workflows SET name = @Name, annotation = @Annotation, published = @Published, deleted = @Deleted, latest_version = @LatestVersion, update_time = @now WHERE id = @Id",
            new { workflow.Id, workflow.Name, workflow.Annotation, workflow.Published, workflow.Deleted, workflow.LatestVersion, now }, t);
        t.Commit();
    }

    public InvocationRecord CreateInvocation(WorkflowRecord workflow, long userId, long historyId, string inputs, string parameters)
    {
        using var c = db.Open();
        var now = Database.Now();
        return c.QuerySingle<InvocationRecord>(
            """
            INSERT INTO invocations (workflow_id, version, user_id, history_id, state, inputs, parameters, uuid, create_time, update_time)
            VALUES (@workflowId, @version, @userId, @historyId, 'new', @inputs, @parameters, @uuid, @now, @now) RETURNING *
            """, new { workflowId = workflow.Id, version = workflow.LatestVersion, userId, historyId, inputs, parameters, uuid = Guid.NewGuid().ToString(), now });
    }

    /// <summary>
    /// A subworkflow step reached: its row (ready while the subworkflow runs) and the invocation of the subworkflow at
    /// <paramref name="path"/> in the parent's history, made together so that neither exists without the other.
    /// </summary>
    public InvocationStepRecord AddSubworkflowStep(InvocationRecord parent, int orderIndex, string path, string inputs, string parameters)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        var now = Database.Now();
        var step = c.QuerySingle<InvocationStepRecord>(
            """
            INSERT INTO invocation_steps (invocation_id, order_index, state, outputs, create_time, update_time)
            VALUES (@invocationId, @orderIndex, 'ready', '{}', @now, @now) RETURNING *
            """, new { invocationId = parent.Id, orderIndex, now }, t);
        c.Execute(
            """
            INSERT INTO invocations (workflow_id, version, user_id, history_id, state, inputs, parameters, uuid, create_time, update_time, parent_step_id, path)
            VALUES (@WorkflowId, @Version, @UserId, @HistoryId, 'new', @inputs, @parameters, @uuid, @now, @now, @stepId, @path)
            """, new { parent.WorkflowId, parent.Version, parent.UserId, parent.HistoryId, inputs, parameters, uuid = Guid.NewGuid().ToString(), now, stepId = step.Id, path }, t);
        t.Commit();
        return step;
    }

    /// <summary>The invocation a subworkflow step runs, or null.</summary>
    public InvocationRecord? SubInvocation(long stepId)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<InvocationRecord>("SELECT * FROM invocations WHERE parent_step_id = @stepId", new { stepId });
    }

    public InvocationRecord? GetInvocation(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<InvocationRecord>("SELECT * FROM invocations WHERE id = @id", new { id });
    }

    /// <summary>A user's invocations (every user's for null), newest first, leaving out those whose history is deleted and subworkflows' own.</summary>
    public IReadOnlyList<InvocationRecord> Invocations(long? userId, long? workflowId, long? historyId, bool includeTerminal, int limit)
    {
        using var c = db.Open();
        return c.Query<InvocationRecord>(
            """
            SELECT i.* FROM invocations i JOIN histories h ON h.id = i.history_id
            WHERE h.deleted = 0 AND i.parent_step_id IS NULL AND (@userId IS NULL OR i.user_id = @userId) AND (@workflowId IS NULL OR i.workflow_id = @workflowId)
              AND (@historyId IS NULL OR i.history_id = @historyId) AND (@includeTerminal = 1 OR i.state NOT IN ('scheduled', 'failed', 'cancelled'))
            ORDER BY i.id DESC LIMIT @limit
            """, new { userId, workflowId, historyId, includeTerminal = Database.Flag(includeTerminal), limit }).AsList();
    }

    /// <summary>Invocations the scheduler still advances.</summary>
    public IReadOnlyList<InvocationRecord> Unfinished()
    {
        using var c = db.Open();
        return c.Query<InvocationRecord>("SELECT * FROM invocations WHERE state IN ('new', 'ready') ORDER BY id").AsList();
    }

    /// <summary>Moves an invocation from one state to another; false when it was no longer in <paramref name="from"/> (cancelled meanwhile).</summary>
    public bool Transition(long id, string[] from, string to, string? messages = null)
    {
        using var c = db.Open();
        return c.Execute("UPDATE invocations SET state = @to, messages = COALESCE(@messages, messages), update_time = @now WHERE id = @id AND " + db.In("state", "from"),
            new { id, from, to, messages, now = Database.Now() }) == 1;
    }

    public IReadOnlyList<InvocationStepRecord> Steps(long invocationId)
    {
        using var c = db.Open();
        return c.Query<InvocationStepRecord>("SELECT * FROM invocation_steps WHERE invocation_id = @invocationId ORDER BY order_index", new { invocationId }).AsList();
    }

    public InvocationStepRecord? GetStep(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<InvocationStepRecord>("SELECT * FROM invocation_steps WHERE id = @id", new { id });
    }

    /// <summary>Keeps other servers off an invocation while this one advances it (until disposed, or this process ends); null while another advances it.</summary>
    public IDisposable? LockForScheduling(long invocationId) => db.TryLock(LockSpace.InvocationScheduling, invocationId);

    /// <summary>Records a step reached; the unique (invocation, step) pair means a step is never made twice.</summary>
    public InvocationStepRecord AddStep(long invocationId, int orderIndex, string state, IEnumerable<long> jobIds, string outputs, string? info)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        var now = Database.Now();
        var step = c.QuerySingle<InvocationStepRecord>(
            """
            INSERT INTO invocation_steps (invocation_id, order_index, state, outputs, info, create_time, update_time)
            VALUES (@invocationId, @orderIndex, @state, @outputs, @info, @now, @now) RETURNING *
            """, new { invocationId, orderIndex, state, outputs, info, now }, t);
        foreach (var jobId in jobIds) c.Execute("INSERT INTO invocation_step_jobs (step_id, job_id) VALUES (@stepId, @jobId)", new { stepId = step.Id, jobId }, t);
        t.Commit();
        return step;
    }

    /// <summary>The invocation step that started a job, or null for a job started by hand.</summary>
    public InvocationStepRecord? StepOfJob(long jobId)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<InvocationStepRecord>(
            "SELECT s.* FROM invocation_steps s JOIN invocation_step_jobs j ON j.step_id = s.id WHERE j.job_id = @jobId", new { jobId });
    }

    /// <summary>The jobs a step started: one, or one per element of a collection it was mapped over.</summary>
    public IReadOnlyList<long> StepJobs(long stepId)
    {
        using var c = db.Open();
        return c.Query<long>("SELECT job_id FROM invocation_step_jobs WHERE step_id = @stepId ORDER BY job_id", new { stepId }).AsList();
    }

    public void UpdateStep(long id, string state, bool? action, string outputs, string? info = null)
    {
        using var c = db.Open();
        c.Execute("UPDATE invocation_steps SET state = @state, action = @action, outputs = @outputs, info = COALESCE(@info, info), update_time = @now WHERE id = @id",
            new { id, state, action = Database.Flag(action), outputs, info, now = Database.Now() });
    }
}
