using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>The rules for changing datasets: names, visibility, deletion, and purging (the record and its file).</summary>
public sealed class DatasetService(DatasetStore datasets, FileStore files)
{
    public DatasetRecord Update(DatasetRecord dataset, string? name, bool? visible, bool? deleted)
    {
        if (name is { Length: 0 or > 255 }) throw ApiException.BadRequest("dataset name: 1 to 255 characters");
        datasets.Update(dataset.Id, name, visible, deleted);
        return datasets.Get(dataset.Id)!;
    }

    /// <summary>Marks the dataset deleted (it can be undeleted); purging also frees its file, for good.</summary>
    public void Delete(DatasetRecord dataset, bool purge) => Delete(dataset.Id, purge);

    /// <summary>Purges every dataset of a history (the history's own purge).</summary>
    public void PurgeHistory(long historyId)
    {
        foreach (var id in datasets.IdsOfHistory(historyId)) Delete(id, purge: true);
    }

    /// <summary>Works on a full disk too (<see cref="DiskSpace"/>): deleting is how a user frees space.</summary>
    private void Delete(long id, bool purge)
    {
        DiskSpace.FreeingReserve(files, () => datasets.Delete(id, purge));
        if (!purge) return;
        files.DeleteDatasetFile(id);
        files.KeepReserve();
    }
}
