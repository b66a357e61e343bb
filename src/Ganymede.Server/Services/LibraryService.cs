using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// The rules of data libraries, Galaxy's: administrators create and delete libraries and may do anything in them; a
/// library without access roles is public, one with them is seen only by users holding one of those roles (a
/// dataset's own access roles narrow it further); adding, changing and managing permissions each need their roles.
/// Library datasets share their bytes with the history datasets they are copied from or imported into.
/// </summary>
public sealed class LibraryService(LibraryStore libraries, PermissionStore permissions, RoleStore roles, RoleService roleService,
    FileStore files, FileInspector inspector, DatasetService datasets, Quotas quotas, ServerOptions options)
{
    public LibraryRecord Create(UserRecord by, string? name, string? description, string? synopsis)
    {
        RoleService.RequireAdmin(by, "libraries");
        return libraries.Create(CheckName(name, "library"), description?.Trim() ?? "", synopsis?.Trim() ?? "");
    }

    /// <summary>The library, if the user may see it (403 otherwise; 404 when there is none).</summary>
    public LibraryRecord Library(UserRecord user, long id)
    {
        var library = libraries.Get(id) ?? throw ApiException.NotFound("library not found");
        return May(user, Permission.Library, library.Id, Permission.Access) ? library : throw ApiException.Forbidden($"you may not access library '{library.Name}'");
    }

    public IEnumerable<LibraryRecord> Visible(UserRecord user, bool? deleted)
    {
        var mine = roles.RolesOf(user.Id);
        return libraries.List(deleted).Where(l => May(user, Permission.Library, l.Id, Permission.Access, mine) && (!l.Deleted || user.IsAdmin));
    }

    public LibraryRecord Update(UserRecord by, LibraryRecord library, string? name, string? description, string? synopsis, bool? deleted)
    {
        if (deleted is not null) RoleService.RequireAdmin(by, "libraries");
        else Require(by, May(by, Permission.Library, library.Id, Permission.Modify), $"you may not change library '{library.Name}'");
        if (name is not null) library.Name = CheckName(name, "library");
        if (description is not null) library.Description = description.Trim();
        if (synopsis is not null) library.Synopsis = synopsis.Trim();
        if (deleted is { } d) library.Deleted = d;
        libraries.Update(library);
        return libraries.Get(library.Id)!;
    }

    public FolderRecord RootFolder(LibraryRecord library) => libraries.RootFolder(library.Id);

    public FolderRecord Folder(UserRecord user, long id)
    {
        var folder = libraries.GetFolder(id) ?? throw ApiException.NotFound("folder not found");
        Library(user, folder.LibraryId);
        return folder;
    }

    public FolderRecord CreateFolder(UserRecord user, FolderRecord parent, string? name, string? description)
    {
        Require(user, CanAdd(user, parent), $"you may not add to folder '{parent.Name}'");
        if (parent.Deleted) throw ApiException.BadRequest($"folder '{parent.Name}' is deleted");
        return libraries.CreateFolder(parent.LibraryId, parent.Id, CheckName(name, "folder"), description?.Trim() ?? "");
    }

    public FolderRecord UpdateFolder(UserRecord user, FolderRecord folder, string? name, string? description, bool? deleted)
    {
        Require(user, May(user, Permission.Folder, folder.Id, Permission.Modify) || May(user, Permission.Library, folder.LibraryId, Permission.Modify),
            $"you may not change folder '{folder.Name}'");
        if (deleted is not null && folder.ParentId is null) throw ApiException.BadRequest("a library's root folder goes with the library: delete the library");
        if (name is not null) folder.Name = CheckName(name, "folder");
        if (description is not null) folder.Description = description.Trim();
        if (deleted is { } d) folder.Deleted = d;
        libraries.UpdateFolder(folder);
        return libraries.GetFolder(folder.Id)!;
    }

    /// <summary>The library dataset, if the user may see it and its library.</summary>
    public LibraryDatasetRecord Dataset(UserRecord user, long id)
    {
        var dataset = libraries.GetDataset(id) ?? throw ApiException.NotFound("library dataset not found");
        Library(user, dataset.LibraryId);
        return MaySee(user, dataset) ? dataset : throw ApiException.Forbidden($"you may not access dataset '{dataset.Name}'");
    }

    public bool MaySee(UserRecord user, LibraryDatasetRecord dataset) => May(user, Permission.Dataset, dataset.Id, Permission.Access);

    /// <summary>Stores a complete file (uploaded or pasted) as a new dataset in the folder; the temporary file is moved or removed.</summary>
    public LibraryDatasetRecord AddFile(UserRecord user, FolderRecord folder, string completeFile, string sha256, string name, string? fileType, IReadOnlyList<string> tags)
    {
        try
        {
            CheckAdd(user, folder);
            name = UploadService.CheckName(name);
            quotas.CheckStorage(user, new FileInfo(completeFile).Length);
        }
        catch (ApiException)
        {
            File.Delete(completeFile);
            throw;
        }
        var dataset = libraries.CreateDataset(folder, user.Id, name, "", tags, linkedPath: null);
        return Complete(dataset, completeFile, sha256, fileType, () => files.CommitLibraryDataset(completeFile, dataset.Id));
    }

    /// <summary>
    /// Files on the server's own disk, by path (Galaxy's path paste): administrators only, and only under the folder
    /// the server allows (`serve --allow-path-paste DIR`). Linked files stay where they are; copied ones enter the store.
    /// </summary>
    public IReadOnlyList<LibraryDatasetRecord> AddServerFiles(UserRecord user, FolderRecord folder, IEnumerable<string> paths, bool link, string? fileType, IReadOnlyList<string> tags)
    {
        RoleService.RequireAdmin(user, "files on the server's disk");
        if (options.PathPasteDirectory is not { } allowed) throw ApiException.Forbidden("this server does not import files by their path (serve --allow-path-paste DIR)");
        CheckAdd(user, folder);
        var sources = paths.Select(p => ServerFile(p, allowed)).ToList();
        if (sources.Count == 0) throw ApiException.MissingParameter("no server paths given");
        var added = new List<LibraryDatasetRecord>();
        foreach (var source in sources)
        {
            var dataset = libraries.CreateDataset(folder, user.Id, Path.GetFileName(source), "", tags, link ? source : null);
            if (link)
            {
                added.Add(Complete(dataset, source, FileStore.Sha256Of(source), fileType, () => { }));
                continue;
            }
            // A copy of its own: the administrator's file may change or go after this.
            var copy = files.NewTemporaryPath();
            File.Copy(source, copy);
            added.Add(Complete(dataset, copy, FileStore.Sha256Of(copy), fileType, () => files.CommitLibraryDataset(copy, dataset.Id)));
        }
        return added;
    }

    /// <summary>A history dataset added to a library folder (Galaxy's from_hda_id), sharing its bytes.</summary>
    public LibraryDatasetRecord CopyFromHistory(UserRecord user, FolderRecord folder, DatasetRecord source, string message)
    {
        CheckAdd(user, folder);
        if (source.State is not (DatasetStates.Ok or DatasetStates.Empty) || source.Purged)
            throw ApiException.BadRequest($"dataset '{source.Name}' is {(source.Purged ? "purged" : source.State)}: only finished datasets can be added to a library");
        var dataset = libraries.CreateDataset(folder, user.Id, source.Name, message, [], linkedPath: null);
        try
        {
            files.Share(files.DatasetPath(source.Id), files.LibraryDatasetPath(dataset.Id));
            libraries.CompleteDataset(dataset.Id, DatasetService.Facts(source), source.State);
        }
        catch (Exception e)
        {
            libraries.FailDataset(dataset.Id, "copy failed: " + e.Message);
            throw;
        }
        return libraries.GetDataset(dataset.Id)!;
    }

    /// <summary>A library dataset imported into one of the user's histories, sharing its bytes.</summary>
    public DatasetRecord ImportToHistory(UserRecord user, LibraryDatasetRecord dataset, HistoryRecord history)
    {
        if (dataset.State is not (DatasetStates.Ok or DatasetStates.Empty) || dataset.Deleted)
            throw ApiException.BadRequest($"library dataset '{dataset.Name}' is {(dataset.Deleted ? "deleted" : dataset.State)}: only finished datasets can be imported");
        var facts = new FileFacts(dataset.Extension, dataset.FileSize, dataset.Sha256 ?? "", dataset.Peek, dataset.Metadata, dataset.Info);
        return datasets.AddShared(user, history, dataset.Name, facts, FilePath(dataset));
    }

    public string FilePath(LibraryDatasetRecord dataset) => dataset.LinkedPath ?? files.LibraryDatasetPath(dataset.Id);

    public LibraryDatasetRecord UpdateDataset(UserRecord user, LibraryDatasetRecord dataset, string? name, string? info, string? genomeBuild, IReadOnlyList<string>? tags)
    {
        CheckModify(user, dataset);
        if (name is not null) dataset.Name = UploadService.CheckName(name);
        if (info is not null) dataset.Info = info.Length <= 10_000 ? info : throw ApiException.BadRequest("misc_info: at most 10,000 characters");
        if (genomeBuild is not null) dataset.GenomeBuild = genomeBuild.Length is > 0 and <= 64 ? genomeBuild : throw ApiException.BadRequest("genome_build: 1 to 64 characters");
        if (tags is not null) dataset.Tags = LibraryStore.TagsJson(HistoryService.CheckTags(tags));
        libraries.UpdateDataset(dataset);
        return libraries.GetDataset(dataset.Id)!;
    }

    /// <summary>Deletes (or undeletes) a library dataset; purging also removes its file from the store (a linked file is the administrator's and stays).</summary>
    public LibraryDatasetRecord DeleteDataset(UserRecord user, LibraryDatasetRecord dataset, bool purge, bool undelete)
    {
        CheckModify(user, dataset);
        if (undelete && dataset.Purged) throw ApiException.BadRequest($"dataset '{dataset.Name}' is purged and cannot be undeleted");
        dataset.Deleted = !undelete;
        dataset.Purged |= purge && !undelete;
        libraries.UpdateDataset(dataset);
        if (dataset.Purged) files.DeleteLibraryDatasetFile(dataset.Id);
        return libraries.GetDataset(dataset.Id)!;
    }

    /// <summary>The roles for each action on an item; only those who may manage its permissions may read them.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RoleInfo>> Permissions(UserRecord user, string item, long itemId, IEnumerable<string> actions)
    {
        Require(user, MayManage(user, item, itemId), "you may not manage these permissions");
        return actions.ToDictionary(a => a, a => (IReadOnlyList<RoleInfo>)permissions.Roles(item, itemId, a).Select(roleService.Role).ToList());
    }

    /// <summary>Replaces the roles of each action given.</summary>
    public void SetPermissions(UserRecord user, string item, long itemId, IReadOnlyDictionary<string, IReadOnlyList<long>> roleNumbers)
    {
        Require(user, MayManage(user, item, itemId), "you may not manage these permissions");
        foreach (var numbers in roleNumbers.Values) roleService.CheckRoles(numbers);
        foreach (var (action, numbers) in roleNumbers) permissions.Set(item, itemId, action, numbers);
    }

    public bool CanAdd(UserRecord user, FolderRecord folder)
    {
        var mine = roles.RolesOf(user.Id);
        if (user.IsAdmin || Holds(mine, Permission.Library, folder.LibraryId, Permission.Add)) return true;
        for (FolderRecord? f = folder; f is not null; f = f.ParentId is { } p ? libraries.GetFolder(p) : null)
            if (Holds(mine, Permission.Folder, f.Id, Permission.Add)) return true;
        return false;
    }

    public bool MayModify(UserRecord user, LibraryDatasetRecord dataset) =>
        dataset.UserId == user.Id || May(user, Permission.Dataset, dataset.Id, Permission.Modify) || May(user, Permission.Library, dataset.LibraryId, Permission.Modify);

    public bool MayManage(UserRecord user, string item, long itemId) => May(user, item, itemId, Permission.Manage);

    /// <summary>
    /// An administrator may; otherwise the user needs one of the roles given for the action, and an action with no roles
    /// is open only for access. <paramref name="mine"/>: the user's roles, when the caller already has them.
    /// </summary>
    public bool May(UserRecord user, string item, long itemId, string action, HashSet<long>? mine = null)
    {
        if (user.IsAdmin && !user.ActsForJob) return true;
        var given = permissions.Roles(item, itemId, action);
        if (given.Count == 0) return action == Permission.Access;
        return given.Intersect(mine ?? roles.RolesOf(user.Id)).Any();
    }

    private bool Holds(HashSet<long> mine, string item, long itemId, string action) => permissions.Roles(item, itemId, action).Intersect(mine).Any();

    private void CheckAdd(UserRecord user, FolderRecord folder)
    {
        Require(user, CanAdd(user, folder), $"you may not add to folder '{folder.Name}'");
        if (folder.Deleted) throw ApiException.BadRequest($"folder '{folder.Name}' is deleted");
    }

    private void CheckModify(UserRecord user, LibraryDatasetRecord dataset) => Require(user, MayModify(user, dataset), $"you may not change dataset '{dataset.Name}'");

    /// <summary>Describes the file, puts it in place (<paramref name="place"/>), and marks the dataset finished; on failure it is in error, with the reason.</summary>
    private LibraryDatasetRecord Complete(LibraryDatasetRecord dataset, string file, string sha256, string? fileType, Action place)
    {
        try
        {
            var facts = inspector.Inspect(file, dataset.Name, fileType is null or "auto" ? null : fileType, new FileInfo(file).Length, sha256);
            place();
            libraries.CompleteDataset(dataset.Id, facts, facts.Size == 0 ? DatasetStates.Empty : DatasetStates.Ok);
        }
        catch (Exception e)
        {
            libraries.FailDataset(dataset.Id, "upload failed: " + e.Message);
            if (file.StartsWith(files.Temporary + "/", StringComparison.Ordinal)) File.Delete(file);
            throw;
        }
        return libraries.GetDataset(dataset.Id)!;
    }

    /// <summary>A regular file under <paramref name="allowed"/>, by its real path (links resolved, so none leads out).</summary>
    private static string ServerFile(string path, string allowed)
    {
        path = path.Trim();
        if (!Path.IsPathFullyQualified(path)) throw ApiException.BadRequest($"'{path}' is not an absolute path");
        var real = FileStore.RealPath(path) ?? throw ApiException.BadRequest($"'{path}' does not exist");
        var root = FileStore.RealPath(allowed) ?? throw ApiException.Forbidden("the folder this server imports from does not exist");
        if (!real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal)) throw ApiException.Forbidden($"'{path}' is outside the folder this server imports from");
        if (!File.Exists(real)) throw ApiException.BadRequest($"'{path}' is not a file");
        return real;
    }

    private static void Require(UserRecord user, bool allowed, string message)
    {
        if (!allowed) throw ApiException.Forbidden(message);
    }

    private static string CheckName(string? name, string what)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) throw ApiException.MissingParameter($"a {what} needs a name");
        if (name.Length > 255 || name.Any(char.IsControl) || name.Contains('/', StringComparison.Ordinal))
            throw ApiException.BadRequest($"a {what}'s name is 1 to 255 characters, without '/' or control characters");
        return name;
    }
}
