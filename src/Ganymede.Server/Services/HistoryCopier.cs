using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Galaxy's history copy (POST /api/histories with history_id): a new history of the user's with copies of what they
/// may read of another (their own, one shared with them, a published one): its finished datasets, visible or hidden as
/// they were, sharing their bytes, and its collections whose datasets are all among them.
/// </summary>
public sealed class HistoryCopier(HistoryService histories, DatasetStore datasets, DatasetService datasetService, CollectionStore collections,
    CollectionService collectionService, SharingService sharing)
{
    public HistoryRecord Copy(UserRecord user, HistoryRecord source, string? name)
    {
        var copy = histories.Create(user, name is { Length: > 0 } ? name : $"Copy of '{source.Name}'");
        foreach (var d in datasets.ListByHistory(source.Id, deleted: false).Where(d => d.State is DatasetStates.Ok or DatasetStates.Empty && sharing.MayRead(user, d)))
        {
            var copied = datasetService.Copy(user, d, copy);
            if (!d.Visible) datasets.Update(copied.Id, null, visible: false, null);
        }
        foreach (var hdca in collections.ListByHistory(source.Id, deleted: false))
            if (collectionService.Datasets(hdca.CollectionId).All(e => e.Dataset.State is DatasetStates.Ok or DatasetStates.Empty && sharing.MayRead(user, e.Dataset)))
                collectionService.CopyTo(user, hdca, copy);
        return copy;
    }
}
