using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>The rules for changing datasets: names, visibility, deletion, and purging (the record and its file).</summary>
public sealed class DatasetService(DatasetStore datasets, FileStore files, Quotas quotas, FileInspector inspector)
{
    /// <summary>
    /// A new dataset in the user's history whose file is one that already exists and is described (a copy of another
    /// dataset, an import from a library): the bytes are shared, not copied (<see cref="FileStore.Share"/>).
    /// </summary>
    public DatasetRecord AddShared(UserRecord user, HistoryRecord history, string name, FileFacts facts, string existingFile)
    {
        if (!File.Exists(existingFile)) throw ApiException.BadRequest($"dataset '{name}' has no file to copy");
        quotas.CheckStorage(user, facts.Size);
        var dataset = datasets.Create(history.Id, user.Id, name, facts.Extension, DatasetStates.Upload);
        try
        {
            files.Share(existingFile, files.DatasetPath(dataset.Id));
            datasets.Complete(dataset.Id, facts, facts.Size == 0 ? DatasetStates.Empty : DatasetStates.Ok);
        }
        catch (Exception e)
        {
            datasets.SetState(dataset.Id, DatasetStates.Error, "copy failed: " + e.Message);
            throw;
        }
        return datasets.Get(dataset.Id)!;
    }

    /// <summary>Copies a finished dataset into a history (Galaxy's copy_dataset), keeping its name and description.</summary>
    public DatasetRecord Copy(UserRecord user, DatasetRecord source, HistoryRecord target)
    {
        if (source.State is not (DatasetStates.Ok or DatasetStates.Empty) || source.Purged)
            throw ApiException.BadRequest($"dataset '{source.Name}' is {(source.Purged ? "purged" : source.State)}: only finished datasets can be copied");
        return AddShared(user, target, source.Name, Facts(source), files.DatasetPath(source.Id));
    }

    public static FileFacts Facts(DatasetRecord d) => new(d.Extension, d.FileSize, d.Sha256 ?? "", d.Peek, d.Metadata, d.Info);

    public DatasetRecord Update(DatasetRecord dataset, DatasetChange change)
    {
        if (change.Name is { Length: 0 or > 255 }) throw ApiException.BadRequest("dataset name: 1 to 255 characters");
        if (change.Annotation is { Length: > 10_000 } || change.Info is { Length: > 10_000 }) throw ApiException.BadRequest("annotation and misc_info: at most 10,000 characters");
        if (change.GenomeBuild is { } build) CheckGenomeBuild(build);
        // The type first: describing the file again resets its information, which the user may be setting too.
        if (change.Datatype is { } type && type != dataset.Extension) ChangeType(dataset, type);
        datasets.Update(dataset.Id, change.Name, change.Visible, change.Deleted);
        datasets.Describe(dataset.Id, change.Annotation, change.GenomeBuild, change.Info,
            change.Tags is null ? null : System.Text.Json.JsonSerializer.Serialize(HistoryService.CheckTags(change.Tags)));
        return datasets.Get(dataset.Id)!;
    }

    /// <summary>A genome build as Galaxy writes one ("hg19", "mm10", "?"): short, without spaces or control characters.</summary>
    public static string CheckGenomeBuild(string build) =>
        build.Length is > 0 and <= 64 && !build.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? build
            : throw ApiException.BadRequest($"genome build '{build}': 1 to 64 characters without spaces");

    /// <summary>Galaxy's datatype change: the file is described again as the new type (in the sandbox), so its peek and metadata follow.</summary>
    private void ChangeType(DatasetRecord dataset, string type)
    {
        if (!DatasetInspector.Known.Contains(type)) throw ApiException.BadRequest($"unknown datatype '{type}' (one of {string.Join(", ", DatasetInspector.Known)})");
        if (dataset.State is not (DatasetStates.Ok or DatasetStates.Empty) || dataset.Purged) throw ApiException.BadRequest($"dataset '{dataset.Name}' is {dataset.State}: only a finished dataset's type can change");
        var path = files.DatasetPath(dataset.Id);
        var facts = inspector.Inspect(path, dataset.Name, type, dataset.FileSize, dataset.Sha256 ?? FileStore.Sha256Of(path));
        datasets.Complete(dataset.Id, facts with { Extension = type }, dataset.State);
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

/// <summary>What a user changes about a dataset (Galaxy's HDA update); null leaves a field as it is.</summary>
public sealed record DatasetChange(string? Name = null, bool? Visible = null, bool? Deleted = null, string? Annotation = null,
    string? GenomeBuild = null, string? Info = null, string? Datatype = null, IReadOnlyList<string>? Tags = null);
