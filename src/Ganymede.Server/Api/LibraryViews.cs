using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Api;

/// <summary>
/// The JSON shapes Galaxy returns for libraries, folders and library datasets. Folder ids are "F" and an encoded id,
/// as Galaxy's are, so one contents URL can name either a folder or a dataset.
/// </summary>
public sealed class LibraryViews(IdCodec ids, LibraryStore libraries, LibraryService rules, UserStore users)
{
    public string Id(long id) => ids.Encode(id);

    public string FolderId(long id) => "F" + ids.Encode(id);

    /// <summary>A folder id from a request, with or without Galaxy's "F".</summary>
    public long DecodeFolder(Access access, string? id) => access.Decode("folder", id is ['F', .. var rest] ? rest : id);

    public Dictionary<string, object?> Library(LibraryRecord l, UserRecord viewer)
    {
        var id = ids.Encode(l.Id);
        var root = libraries.RootFolder(l.Id);
        return new()
        {
            ["id"] = id, ["model_class"] = "Library", ["name"] = l.Name, ["description"] = l.Description, ["synopsis"] = l.Synopsis,
            ["deleted"] = l.Deleted, ["root_folder_id"] = FolderId(root.Id), ["url"] = $"/api/libraries/{id}",
            ["create_time"] = l.CreateTime, ["update_time"] = l.UpdateTime,
            ["public"] = rules.May(Nobody, Permission.Library, l.Id, Permission.Access),
            ["can_user_add"] = rules.CanAdd(viewer, root),
            ["can_user_modify"] = rules.May(viewer, Permission.Library, l.Id, Permission.Modify),
            ["can_user_manage"] = rules.MayManage(viewer, Permission.Library, l.Id),
        };
    }

    public Dictionary<string, object?> Folder(FolderRecord f) => new()
    {
        ["id"] = FolderId(f.Id), ["model_class"] = "LibraryFolder", ["name"] = f.Name, ["description"] = f.Description,
        ["parent_id"] = f.ParentId is { } p ? FolderId(p) : null, ["parent_library_id"] = ids.Encode(f.LibraryId),
        ["library_path"] = PathOf(f).Select(x => x.Name).ToList(), ["deleted"] = f.Deleted, ["genome_build"] = "?",
        ["item_count"] = libraries.Folders(f.LibraryId).Count(c => c.ParentId == f.Id && !c.Deleted) + libraries.Datasets(f.LibraryId).Count(d => d.FolderId == f.Id && !d.Deleted),
        ["update_time"] = f.UpdateTime, ["url"] = $"/api/folders/{FolderId(f.Id)}",
    };

    /// <summary>A library dataset: Galaxy's library dataset and its one version (ldda) in one, under one id.</summary>
    public Dictionary<string, object?> Dataset(LibraryDatasetRecord d, UserRecord viewer)
    {
        var id = ids.Encode(d.Id);
        var view = new Dictionary<string, object?>
        {
            ["id"] = id, ["ldda_id"] = id, ["library_dataset_id"] = id, ["model_class"] = "LibraryDataset", ["name"] = d.Name,
            ["parent_library_id"] = ids.Encode(d.LibraryId), ["folder_id"] = FolderId(d.FolderId), ["state"] = d.State,
            ["file_ext"] = d.Extension, ["data_type"] = $"galaxy.datatypes.{d.Extension}", ["file_size"] = d.FileSize,
            ["genome_build"] = d.GenomeBuild, ["misc_info"] = d.Info ?? "", ["misc_blurb"] = d.Info ?? "", ["peek"] = d.Peek,
            ["message"] = d.Message, ["tags"] = string.Join(", ", d.TagList), ["deleted"] = d.Deleted, ["uuid"] = d.Uuid,
            ["uploaded_by"] = users.Get(d.UserId)?.Email, ["date_uploaded"] = d.CreateTime, ["update_time"] = d.UpdateTime,
            ["created_from_basename"] = d.Name, ["can_user_modify"] = rules.MayModify(viewer, d),
            ["can_user_manage"] = rules.MayManage(viewer, Permission.Dataset, d.Id), ["is_unrestricted"] = rules.MaySee(Nobody, d),
            ["full_path"] = PathOf(libraries.GetFolder(d.FolderId)!).Skip(1).Select(f => new[] { FolderId(f.Id), f.Name }).Append([id, d.Name]).ToList(),
        };
        // Galaxy shows a dataset's place on the server's disk to administrators only.
        if (viewer.IsAdmin) view["file_name"] = rules.FilePath(d);
        var metadata = d.Metadata is null ? null : JsonNode.Parse(d.Metadata) as JsonObject;
        foreach (var (key, value) in metadata ?? []) view["metadata_" + key] = value?.DeepClone();
        return view;
    }

    /// <summary>GET /api/libraries/{id}/contents: every folder and dataset the viewer may see, named by its path ("/", "/folder", "/folder/file").</summary>
    public List<Dictionary<string, object?>> Contents(LibraryRecord library, UserRecord viewer)
    {
        var folders = libraries.Folders(library.Id).Where(f => !f.Deleted).ToDictionary(f => f.Id);
        string PathName(long folderId) => folders.TryGetValue(folderId, out var f) && f.ParentId is { } parent ? PathName(parent).TrimEnd('/') + "/" + f.Name : "/";
        var list = folders.Values.Where(f => f.ParentId is null || folders.ContainsKey(f.ParentId.Value))
            .Select(f => Item(FolderId(f.Id), PathName(f.Id), "folder", $"/api/libraries/{ids.Encode(library.Id)}/contents/{FolderId(f.Id)}")).ToList();
        list.AddRange(libraries.Datasets(library.Id).Where(d => !d.Deleted && folders.ContainsKey(d.FolderId) && rules.MaySee(viewer, d))
            .Select(d => Item(ids.Encode(d.Id), PathName(d.FolderId).TrimEnd('/') + "/" + d.Name, "file", $"/api/libraries/{ids.Encode(library.Id)}/contents/{ids.Encode(d.Id)}")));
        return list;
    }

    /// <summary>GET /api/folders/{id}/contents: the folder's metadata and its direct subfolders and datasets.</summary>
    public Dictionary<string, object?> FolderContents(FolderRecord folder, UserRecord viewer, bool includeDeleted)
    {
        var items = libraries.Folders(folder.LibraryId).Where(f => f.ParentId == folder.Id && (includeDeleted || !f.Deleted))
            .Select(f => new Dictionary<string, object?>
            {
                ["id"] = FolderId(f.Id), ["type"] = "folder", ["name"] = f.Name, ["description"] = f.Description, ["deleted"] = f.Deleted,
                ["update_time"] = f.UpdateTime, ["create_time"] = f.CreateTime,
            }).ToList();
        items.AddRange(libraries.Datasets(folder.LibraryId).Where(d => d.FolderId == folder.Id && (includeDeleted || !d.Deleted) && rules.MaySee(viewer, d))
            .Select(d => new Dictionary<string, object?>
            {
                ["id"] = ids.Encode(d.Id), ["ldda_id"] = ids.Encode(d.Id), ["type"] = "file", ["name"] = d.Name, ["file_ext"] = d.Extension,
                ["file_size"] = GalaxyViews.NiceSize(d.FileSize), ["raw_size"] = d.FileSize, ["state"] = d.State, ["deleted"] = d.Deleted,
                ["update_time"] = d.UpdateTime, ["create_time"] = d.CreateTime, ["tags"] = d.TagList, ["message"] = d.Message,
            }));
        return new()
        {
            ["metadata"] = new Dictionary<string, object?>
            {
                ["folder_name"] = folder.Name, ["folder_description"] = folder.Description, ["parent_library_id"] = ids.Encode(folder.LibraryId),
                ["full_path"] = PathOf(folder).Select(f => new[] { FolderId(f.Id), f.Name }).ToList(), ["total_rows"] = items.Count,
                ["can_add_library_item"] = rules.CanAdd(viewer, folder),
                ["can_modify_folder"] = rules.May(viewer, Permission.Folder, folder.Id, Permission.Modify),
                ["can_manage_folder"] = rules.MayManage(viewer, Permission.Folder, folder.Id),
            },
            ["folder_contents"] = items,
        };
    }

    /// <summary>Roles as Galaxy lists them in permissions: [name, id] pairs.</summary>
    public List<string[]> RoleList(IEnumerable<RoleInfo> roles) => roles.Select(r => new[] { r.Name, ids.Encode(r.Number) }).ToList();

    public static Dictionary<string, object?> Item(string id, string name, string type, string url) => new() { ["id"] = id, ["name"] = name, ["type"] = type, ["url"] = url };

    /// <summary>The folders from the library's root down to this one.</summary>
    private List<FolderRecord> PathOf(FolderRecord folder)
    {
        var path = new List<FolderRecord>();
        for (FolderRecord? f = folder; f is not null && path.Count < 256; f = f.ParentId is { } p ? libraries.GetFolder(p) : null) path.Insert(0, f);
        return path;
    }

    /// <summary>No one in particular: who may see a thing when no role is needed.</summary>
    private static readonly UserRecord Nobody = new() { Id = -1 };
}
