using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>Data libraries: the library rows, their folder trees, and the datasets in the folders.</summary>
public sealed class LibraryStore(Database db)
{
    /// <summary>Creates a library with its root folder (named like the library), in one transaction.</summary>
    public LibraryRecord Create(string name, string description, string synopsis)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        var now = Database.Now();
        var library = c.QuerySingle<LibraryRecord>(
            "INSERT INTO libraries (name, description, synopsis, create_time, update_time) VALUES (@name, @description, @synopsis, @now, @now) RETURNING *",
            new { name, description, synopsis, now }, t);
        c.Execute("INSERT INTO library_folders (library_id, name, create_time, update_time) VALUES (@libraryId, @name, @now, @now)", new { libraryId = library.Id, name, now }, t);
        t.Commit();
        return library;
    }

    public LibraryRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<LibraryRecord>("SELECT * FROM libraries WHERE id = @id", new { id });
    }

    /// <summary>Every library, or only the deleted or the kept ones.</summary>
    public IReadOnlyList<LibraryRecord> List(bool? deleted)
    {
        using var c = db.Open();
        return c.Query<LibraryRecord>("SELECT * FROM libraries WHERE @deleted IS NULL OR deleted = @deleted ORDER BY name, id", new { deleted = Database.Flag(deleted) }).AsList();
    }

    public void Update(LibraryRecord library)
    {
        using var c = db.Open();
        c.Execute("UPDATE libraries SET name = @Name, description = @Description, synopsis = @Synopsis, deleted = @Deleted, update_time = @now WHERE id = @Id",
            new { library.Id, library.Name, library.Description, library.Synopsis, Deleted = Database.Flag(library.Deleted), now = Database.Now() });
    }

    public FolderRecord RootFolder(long libraryId)
    {
        using var c = db.Open();
        return c.QuerySingle<FolderRecord>("SELECT * FROM library_folders WHERE library_id = @libraryId AND parent_id IS NULL", new { libraryId });
    }

    public FolderRecord CreateFolder(long libraryId, long parentId, string name, string description)
    {
        using var c = db.Open();
        var now = Database.Now();
        return c.QuerySingle<FolderRecord>(
            """
            INSERT INTO library_folders (library_id, parent_id, name, description, create_time, update_time)
            VALUES (@libraryId, @parentId, @name, @description, @now, @now) RETURNING *
            """, new { libraryId, parentId, name, description, now });
    }

    public FolderRecord? GetFolder(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<FolderRecord>("SELECT * FROM library_folders WHERE id = @id", new { id });
    }

    public IReadOnlyList<FolderRecord> Folders(long libraryId)
    {
        using var c = db.Open();
        return c.Query<FolderRecord>("SELECT * FROM library_folders WHERE library_id = @libraryId ORDER BY id", new { libraryId }).AsList();
    }

    public void UpdateFolder(FolderRecord folder)
    {
        using var c = db.Open();
        c.Execute("UPDATE library_folders SET name = @Name, description = @Description, deleted = @Deleted, update_time = @now WHERE id = @Id",
            new { folder.Id, folder.Name, folder.Description, Deleted = Database.Flag(folder.Deleted), now = Database.Now() });
    }

    /// <summary>A new library dataset, in state "upload" until its file is complete (<see cref="CompleteDataset"/>).</summary>
    public LibraryDatasetRecord CreateDataset(FolderRecord folder, long userId, string name, string message, IReadOnlyList<string> tags, string? linkedPath)
    {
        using var c = db.Open();
        var now = Database.Now();
        return c.QuerySingle<LibraryDatasetRecord>(
            """
            INSERT INTO library_datasets (library_id, folder_id, user_id, name, extension, state, message, tags, linked_path, uuid, create_time, update_time)
            VALUES (@LibraryId, @folderId, @userId, @name, 'data', 'upload', @message, @tags, @linkedPath, @uuid, @now, @now) RETURNING *
            """,
            new { folder.LibraryId, folderId = folder.Id, userId, name, message, tags = TagsJson(tags), linkedPath, uuid = Guid.NewGuid().ToString(), now });
    }

    public void CompleteDataset(long id, FileFacts facts, string state)
    {
        using var c = db.Open();
        c.Execute(
            """
            UPDATE library_datasets SET extension = @Extension, file_size = @Size, sha256 = @Sha256, peek = @Peek, metadata = @Metadata,
              info = @Blurb, state = @state, update_time = @now WHERE id = @id
            """, new { id, facts.Extension, facts.Size, facts.Sha256, facts.Peek, facts.Metadata, facts.Blurb, state, now = Database.Now() });
    }

    public void FailDataset(long id, string info)
    {
        using var c = db.Open();
        c.Execute("UPDATE library_datasets SET state = 'error', info = @info, update_time = @now WHERE id = @id", new { id, info, now = Database.Now() });
    }

    public LibraryDatasetRecord? GetDataset(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<LibraryDatasetRecord>("SELECT * FROM library_datasets WHERE id = @id", new { id });
    }

    public IReadOnlyList<LibraryDatasetRecord> Datasets(long libraryId)
    {
        using var c = db.Open();
        return c.Query<LibraryDatasetRecord>("SELECT * FROM library_datasets WHERE library_id = @libraryId ORDER BY id", new { libraryId }).AsList();
    }

    /// <summary>Stores a dataset's changed name, information, genome build, tags and deletion.</summary>
    public void UpdateDataset(LibraryDatasetRecord d)
    {
        using var c = db.Open();
        c.Execute(
            """
            UPDATE library_datasets SET name = @Name, info = @Info, genome_build = @GenomeBuild, tags = @Tags, deleted = @Deleted, purged = @Purged,
              update_time = @now WHERE id = @Id
            """, new { d.Id, d.Name, d.Info, d.GenomeBuild, d.Tags, Deleted = Database.Flag(d.Deleted), Purged = Database.Flag(d.Purged), now = Database.Now() });
    }

    public static string? TagsJson(IReadOnlyList<string> tags) => tags.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(tags);
}
