namespace Ganymede.Server.Storage;

// Rows as the stores read them (Dapper maps snake_case columns onto these properties). Ids are the
// database's integers; the API shows them only through IdCodec.

public sealed class UserRecord
{
    public long Id { get; set; }
    public string Email { get; set; } = "";
    public string Username { get; set; } = "";
    public bool IsAdmin { get; set; }
    /// <summary>An administrator's quota settings for this user over the server's default ("storage=10GiB,jobs=2"), or null.</summary>
    public string? Quota { get; set; }
    /// <summary>The password's hash (<see cref="Services.Passwords"/>), or null for a user who signs in by API key only.</summary>
    public string? PasswordHash { get; set; }
    public string CreateTime { get; set; } = "";
    /// <summary>A deleted user cannot sign in, and their keys stop working; an administrator may undelete them.</summary>
    public bool Deleted { get; set; }
    /// <summary>Deleted for good: their histories purged, their address and name replaced, their keys gone.</summary>
    public bool Purged { get; set; }
    /// <summary>Set when the request came with a job's key (a script's, a notebook session's), not one of the user's own.</summary>
    public bool ActsForJob { get; set; }
}

/// <summary>An API key as its owner sees it: never the key itself, which is shown once when made.</summary>
public sealed class ApiKeyRecord
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string CreateTime { get; set; } = "";
    /// <summary>When the key was last used, to the minute; null if never.</summary>
    public string? LastUsed { get; set; }
}

public sealed class HistoryRecord
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public string Name { get; set; } = "";
    public string? Annotation { get; set; }
    public bool Deleted { get; set; }
    public bool Purged { get; set; }
    public bool Published { get; set; }
    /// <summary>Readable by anyone who has its id (Galaxy's "accessible via link"); a published history is too.</summary>
    public bool Importable { get; set; }
    /// <summary>JSON: the history's tags, in the order they were given ("name:..." tags among them), or null for none.</summary>
    public string? Tags { get; set; }
    /// <summary>The history's part of its published URL (u/USERNAME/h/SLUG), made when it is first published.</summary>
    public string? Slug { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";

    public IReadOnlyList<string> TagList => Tags is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(Tags) ?? [];
}

public sealed class DatasetRecord
{
    public long Id { get; set; }
    public long HistoryId { get; set; }
    public long UserId { get; set; }
    public long Hid { get; set; }
    public string Name { get; set; } = "";
    public string Extension { get; set; } = "data";
    public string State { get; set; } = DatasetStates.New;
    public bool Visible { get; set; } = true;
    public bool Deleted { get; set; }
    public bool Purged { get; set; }
    /// <summary>Readable by anyone, signed in or not (Galaxy's "remove_restrictions").</summary>
    public bool Published { get; set; }
    public long FileSize { get; set; }
    public string? Sha256 { get; set; }
    public string? Peek { get; set; }
    public string? Info { get; set; }
    /// <summary>JSON object of format-specific metadata (H5 datasets, image size, ONNX inputs and outputs).</summary>
    public string? Metadata { get; set; }
    public long? CreatingJobId { get; set; }
    public string? CreatedFromBasename { get; set; }
    public string? Annotation { get; set; }
    /// <summary>Galaxy's genome build (dbkey); "?" when none is given.</summary>
    public string GenomeBuild { get; set; } = "?";
    /// <summary>JSON: the dataset's tags, or null for none.</summary>
    public string? Tags { get; set; }

    public IReadOnlyList<string> TagList => Tags is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(Tags) ?? [];
    public string Uuid { get; set; } = "";
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

public sealed class JobRecord
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public long HistoryId { get; set; }
    public string ToolId { get; set; } = "";
    public string ToolVersion { get; set; } = "";
    public string State { get; set; } = JobStates.New;
    public int? ExitCode { get; set; }
    /// <summary>JSON: the tool's parameter values.</summary>
    public string Params { get; set; } = "{}";
    /// <summary>JSON: input name to a list of dataset ids.</summary>
    public string Inputs { get; set; } = "{}";
    /// <summary>JSON: output name to dataset id.</summary>
    public string Outputs { get; set; } = "{}";
    /// <summary>The runner's handle on the running process (a process id locally, a Slurm job id on a cluster).</summary>
    public string? ExternalId { get; set; }
    public string? Info { get; set; }
    public string? CommandLine { get; set; }
    /// <summary>JSON: the progress the job last reported (epoch and step of N, percent, ETA, last metrics), or null.</summary>
    public string? Progress { get; set; }
    /// <summary>The server (job handler) that started the job, or that is making it while it is new; null while it waits in the queue.</summary>
    public string? Handler { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

public sealed class UploadRecord
{
    public string Id { get; set; } = "";
    public long UserId { get; set; }
    public long Length { get; set; }
    public long OffsetBytes { get; set; }
    public string CreateTime { get; set; } = "";
}

/// <summary>Galaxy's dataset states (BioBlend waits until one of <see cref="Terminal"/>).</summary>
public static class DatasetStates
{
    public const string New = "new", Queued = "queued", Running = "running", Ok = "ok", Error = "error",
        Discarded = "discarded", Empty = "empty", Paused = "paused", SettingMetadata = "setting_metadata",
        Upload = "upload", FailedMetadata = "failed_metadata", Deferred = "deferred";

    public static readonly string[] All = [New, Upload, Queued, Running, SettingMetadata, Paused, Deferred, Ok, Empty, Error, Discarded, FailedMetadata];
    public static readonly string[] Terminal = [Ok, Empty, Error, Discarded, FailedMetadata];
}

/// <summary>Galaxy's job states. A finished job ends in ok, error or deleted: BioBlend keeps polling any other.</summary>
public static class JobStates
{
    public const string New = "new", Queued = "queued", Running = "running", Ok = "ok", Error = "error", Deleted = "deleted";

    public static bool IsTerminal(string state) => state is Ok or Error or Deleted;
}

/// <summary>A shared role (private roles are users, see <see cref="RoleStore"/>).</summary>
public sealed class RoleRecord
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public bool Deleted { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";

    /// <summary>The role's number in permissions and the API.</summary>
    public long Number => RoleStore.SharedBase + Id;
}

public sealed class GroupRecord
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public bool Deleted { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

/// <summary>Galaxy's quota: an amount of storage that sets (=), adds to (+) or takes from (-) what its users may store.</summary>
public sealed class QuotaRecord
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    /// <summary>Null is unlimited.</summary>
    public long? Bytes { get; set; }
    public string Operation { get; set; } = "=";
    /// <summary>"registered" or "unregistered" when this is the default quota for those users, else null.</summary>
    public string? DefaultFor { get; set; }
    public bool Deleted { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

/// <summary>A data library: a tree of folders (the root one made with it) holding datasets a lab shares.</summary>
public sealed class LibraryRecord
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string Synopsis { get; set; } = "";
    public bool Deleted { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

public sealed class FolderRecord
{
    public long Id { get; set; }
    public long LibraryId { get; set; }
    /// <summary>Null for the library's root folder.</summary>
    public long? ParentId { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public bool Deleted { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

/// <summary>A dataset in a library folder; its bytes are in the file store, or at <see cref="LinkedPath"/> for one an administrator linked in place.</summary>
public sealed class LibraryDatasetRecord
{
    public long Id { get; set; }
    public long LibraryId { get; set; }
    public long FolderId { get; set; }
    /// <summary>Who put it in the library.</summary>
    public long UserId { get; set; }
    public string Name { get; set; } = "";
    public string Extension { get; set; } = "data";
    public string State { get; set; } = DatasetStates.New;
    public long FileSize { get; set; }
    public string? Sha256 { get; set; }
    public string? Peek { get; set; }
    public string? Info { get; set; }
    public string? Metadata { get; set; }
    public string Message { get; set; } = "";
    /// <summary>JSON: the dataset's tags, or null for none.</summary>
    public string? Tags { get; set; }
    public string GenomeBuild { get; set; } = "?";
    public string? LinkedPath { get; set; }
    public bool Deleted { get; set; }
    public bool Purged { get; set; }
    public string Uuid { get; set; } = "";
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";

    public IReadOnlyList<string> TagList => Tags is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(Tags) ?? [];
}

/// <summary>An export of a history to a Galaxy history archive (the file is <see cref="FileStore.ExportPath"/>).</summary>
public sealed class HistoryExportRecord
{
    public long Id { get; set; }
    public long HistoryId { get; set; }
    public long UserId { get; set; }
    /// <summary>What it includes and how it is packed, e.g. "gzip,hidden" (see <see cref="Services.HistoryArchives"/>).</summary>
    public string Options { get; set; } = "";
    /// <summary>The history's state when it was exported: a newer history needs a new export.</summary>
    public string Version { get; set; } = "";
    /// <summary>new (being written), ok, or error.</summary>
    public string State { get; set; } = "new";
    public string? Info { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

/// <summary>A dataset collection in a history (Galaxy's HDCA): a name and a place (hid) for a collection's structure.</summary>
public sealed class HistoryCollectionRecord
{
    public long Id { get; set; }
    public long HistoryId { get; set; }
    public long UserId { get; set; }
    /// <summary>The structure (<see cref="CollectionStore"/>), which copies of the collection share.</summary>
    public long CollectionId { get; set; }
    public long Hid { get; set; }
    public string Name { get; set; } = "";
    public bool Visible { get; set; } = true;
    public bool Deleted { get; set; }
    public long? CreatingJobId { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

/// <summary>One element of a collection: a dataset, or (in a nested type such as list:paired) a collection.</summary>
public sealed class CollectionElementRecord
{
    public long Id { get; set; }
    public long CollectionId { get; set; }
    public int ElementIndex { get; set; }
    public string ElementIdentifier { get; set; } = "";
    public long? DatasetId { get; set; }
    public long? ChildCollectionId { get; set; }
}

/// <summary>A collection to store: its type ("list", "paired", "list:paired") and elements, each a dataset or a nested collection.</summary>
public sealed record CollectionSpec(string CollectionType, IReadOnlyList<CollectionElementSpec> Elements);

public sealed record CollectionElementSpec(string Identifier, long? DatasetId, CollectionSpec? Child);

/// <summary>A user's workflow; its steps are in its versions (<see cref="WorkflowStore"/>), the latest being the one that runs.</summary>
public sealed class WorkflowRecord
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public string Name { get; set; } = "";
    public string Annotation { get; set; } = "";
    public bool Published { get; set; }
    public bool Deleted { get; set; }
    public int LatestVersion { get; set; }
    public string Uuid { get; set; } = "";
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

/// <summary>A workflow run in a history. States as Galaxy's: new, ready (a step waits for a person), scheduled (every step done), failed, cancelled.</summary>
public sealed class InvocationRecord
{
    public long Id { get; set; }
    public long WorkflowId { get; set; }
    public int Version { get; set; }
    public long UserId { get; set; }
    public long HistoryId { get; set; }
    /// <summary>For a subworkflow's invocation: the step of the invocation that runs it, and where its workflow is ("1/3").</summary>
    public long? ParentStepId { get; set; }
    public string? Path { get; set; }
    public string State { get; set; } = "new";
    /// <summary>JSON: each input step's value by step number: {"src": "hda"|"hdca", "id": database id} or a parameter's value.</summary>
    public string Inputs { get; set; } = "{}";
    /// <summary>JSON: values for tool steps by step number, over the workflow's own.</summary>
    public string Parameters { get; set; } = "{}";
    /// <summary>JSON: why the invocation failed or what went wrong in a step, as Galaxy's messages.</summary>
    public string? Messages { get; set; }
    public string Uuid { get; set; } = "";
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}

/// <summary>A step of an invocation, made when the step is reached: its job, or for a pause the person's decision.</summary>
public sealed class InvocationStepRecord
{
    public long Id { get; set; }
    public long InvocationId { get; set; }
    public int OrderIndex { get; set; }
    /// <summary>scheduled (done: its outputs are known), ready (a pause waiting for a decision), failed, cancelled.</summary>
    public string State { get; set; } = "new";
    /// <summary>A pause step's decision: null until made, then true (go on) or false (cancel).</summary>
    public bool? Action { get; set; }
    /// <summary>JSON: output name to {"src": "hda"|"hdca", "id": database id} or a parameter's value.</summary>
    public string Outputs { get; set; } = "{}";
    public string? Info { get; set; }
    public string CreateTime { get; set; } = "";
    public string UpdateTime { get; set; } = "";
}
