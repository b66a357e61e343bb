using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>The rules for histories: valid names, and what deleting and purging do to their datasets.</summary>
public sealed class HistoryService(HistoryStore histories, DatasetService datasets, FileStore files)
{
    public HistoryRecord Create(UserRecord user, string? name)
    {
        name ??= "Unnamed history";
        if (name.Length > 255 || name.Contains('\0', StringComparison.Ordinal)) throw ApiException.BadRequest("history name: at most 255 characters, no NUL");
        return histories.Create(user.Id, name);
    }

    public HistoryRecord Update(HistoryRecord history, string? name, string? annotation, bool? deleted, bool? published)
    {
        if (name is { Length: 0 or > 255 } || name?.Contains('\0', StringComparison.Ordinal) == true)
            throw ApiException.BadRequest("history name: 1 to 255 characters, no NUL");
        histories.Update(history.Id, name, annotation, deleted, published);
        return histories.Get(history.Id)!;
    }

    /// <summary>Deletes the history (it can be undeleted); purging also purges every dataset in it, first, which frees space on a full disk.</summary>
    public HistoryRecord Delete(HistoryRecord history, bool purge)
    {
        if (purge) datasets.PurgeHistory(history.Id);
        DiskSpace.FreeingReserve(files, () => histories.Delete(history.Id, purge));
        return histories.Get(history.Id)!;
    }
}
