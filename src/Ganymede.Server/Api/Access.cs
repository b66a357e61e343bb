using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Api;

/// <summary>
/// Looks up what a request names and checks it belongs to the caller: a malformed id is 400, an unknown one 404,
/// someone else's 403 (admins may read everything). Reading what others shared or published goes through the
/// Readable look-ups (<see cref="SharingService"/> has the rules). Every endpoint goes through here, never to the stores directly.
/// </summary>
public sealed class Access(IdCodec ids, HistoryStore histories, DatasetStore datasets, CollectionStore collections, JobStore jobs, UploadStore uploads, WorkflowStore workflows,
    SharingService sharing)
{
    public long Decode(string what, string? id) => ids.TryDecode(id, out var value) ? value : throw ApiException.MalformedId(what, id);

    /// <summary>A list of ids from a request body; absent is empty.</summary>
    public IReadOnlyList<long> DecodeAll(string what, IEnumerable<string>? list) => list?.Select(id => Decode(what, id)).ToList() ?? [];

    public HistoryRecord History(UserRecord user, string? id)
    {
        var h = histories.Get(Decode("history", id)) ?? throw ApiException.NotFound($"history {id} not found");
        Check(user, h.UserId, "history", id);
        return h;
    }

    /// <summary>A history the caller may read: theirs, or one shared with them, published or accessible by link (then the caller may be anonymous).</summary>
    public HistoryRecord ReadableHistory(UserRecord? user, string? id)
    {
        var h = histories.Get(Decode("history", id)) ?? throw ApiException.NotFound($"history {id} not found");
        return sharing.MayRead(user, h) ? h : throw Refused(user, "history", id);
    }

    /// <summary>A dataset the caller may read (<see cref="SharingService.MayRead(UserRecord?, DatasetRecord)"/>).</summary>
    public DatasetRecord ReadableDataset(UserRecord? user, string? id)
    {
        var d = datasets.Get(Decode("dataset", id)) ?? throw ApiException.NotFound($"dataset {id} not found");
        return sharing.MayRead(user, d) ? d : throw Refused(user, "dataset", id);
    }

    /// <summary>A readable dataset through its history's URL: the dataset must be in that history.</summary>
    public DatasetRecord ReadableDataset(UserRecord? user, HistoryRecord history, string? id)
    {
        var d = ReadableDataset(user, id);
        return d.HistoryId == history.Id ? d : throw ApiException.NotFound($"dataset {id} is not in history {ids.Encode(history.Id)}");
    }

    private static ApiException Refused(UserRecord? user, string what, string? id) =>
        user is null ? new ApiException(403, 403001, "authentication required: send your API key in the x-api-key header")
            : ApiException.Forbidden($"{what} {id} belongs to another user and is not shared with you");

    /// <summary>A history the caller may add to: their own and not purged.</summary>
    public HistoryRecord WritableHistory(UserRecord user, string? id)
    {
        if (string.IsNullOrEmpty(id)) throw ApiException.MissingParameter("history_id is required");
        var h = History(user, id);
        if (h.UserId != user.Id) throw ApiException.Forbidden($"history {id} belongs to another user");
        if (h.Purged) throw ApiException.BadRequest($"history {id} is purged");
        return h;
    }

    public DatasetRecord Dataset(UserRecord user, string? id)
    {
        var d = datasets.Get(Decode("dataset", id)) ?? throw ApiException.NotFound($"dataset {id} not found");
        Check(user, d.UserId, "dataset", id);
        return d;
    }

    /// <summary>A dataset through its history's URL: the dataset must be in that history.</summary>
    public DatasetRecord Dataset(UserRecord user, HistoryRecord history, string? id)
    {
        var d = Dataset(user, id);
        return d.HistoryId == history.Id ? d : throw ApiException.NotFound($"dataset {id} is not in history {ids.Encode(history.Id)}");
    }

    public HistoryCollectionRecord Collection(UserRecord user, string? id)
    {
        var c = collections.Get(Decode("dataset collection", id)) ?? throw ApiException.NotFound($"dataset collection {id} not found");
        Check(user, c.UserId, "dataset collection", id);
        return c;
    }

    /// <summary>A collection through its history's URL: it must be in that history.</summary>
    public HistoryCollectionRecord Collection(UserRecord user, HistoryRecord history, string? id)
    {
        var c = Collection(user, id);
        return c.HistoryId == history.Id ? c : throw ApiException.NotFound($"dataset collection {id} is not in history {ids.Encode(history.Id)}");
    }

    public InvocationRecord Invocation(UserRecord user, string? id)
    {
        var i = workflows.GetInvocation(Decode("invocation", id)) ?? throw ApiException.NotFound($"invocation {id} not found");
        Check(user, i.UserId, "invocation", id);
        return i;
    }

    /// <summary>A step of the invocation (by the step's own id, as Galaxy's clients send it).</summary>
    public InvocationStepRecord InvocationStep(InvocationRecord invocation, string? id)
    {
        var step = workflows.GetStep(Decode("invocation step", id));
        return step?.InvocationId == invocation.Id ? step : throw ApiException.NotFound($"invocation step {id} not found");
    }

    public JobRecord Job(UserRecord user, string? id)
    {
        var j = jobs.Get(Decode("job", id)) ?? throw ApiException.NotFound($"job {id} not found");
        Check(user, j.UserId, "job", id);
        return j;
    }

    /// <summary>A resumable upload session: only its owner may use it (its id is not an encoded id but a random token).</summary>
    public UploadRecord UploadSession(UserRecord user, string id)
    {
        var session = uploads.Get(id) ?? throw ApiException.NotFound($"upload session {id} not found");
        if (session.UserId != user.Id) throw ApiException.Forbidden($"upload session {id} belongs to another user");
        return session;
    }

    private static void Check(UserRecord user, long owner, string what, string? id)
    {
        if (owner != user.Id && !user.IsAdmin) throw ApiException.Forbidden($"{what} {id} belongs to another user");
    }
}
