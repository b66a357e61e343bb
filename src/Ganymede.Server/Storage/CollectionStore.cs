using System.Data.Common;
using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>
/// Dataset collections as Galaxy keeps them: a structure (a collection's type and ordered elements, nested for types
/// such as list:paired) and its places in histories (<see cref="HistoryCollectionRecord"/>), numbered among the
/// history's datasets.
/// </summary>
public sealed class CollectionStore(Database db)
{
    /// <summary>Stores the structure and puts it in the history under the next hid, in one transaction.</summary>
    public HistoryCollectionRecord Create(long historyId, long userId, string name, CollectionSpec spec, long? creatingJobId = null, bool visible = true)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        var now = Database.Now();
        long collectionId = Insert(c, t, spec, now);
        long hid = c.ExecuteScalar<long>("UPDATE histories SET next_hid = next_hid + 1, update_time = @now WHERE id = @historyId RETURNING next_hid - 1", new { historyId, now }, t);
        var created = c.QuerySingle<HistoryCollectionRecord>(
            """
            INSERT INTO history_collections (history_id, user_id, collection_id, hid, name, visible, creating_job_id, create_time, update_time)
            VALUES (@historyId, @userId, @collectionId, @hid, @name, @visible, @creatingJobId, @now, @now) RETURNING *
            """, new { historyId, userId, collectionId, hid, name, visible = Database.Flag(visible), creatingJobId, now }, t);
        t.Commit();
        return created;
    }

    public HistoryCollectionRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<HistoryCollectionRecord>("SELECT * FROM history_collections WHERE id = @id", new { id });
    }

    public IReadOnlyList<HistoryCollectionRecord> ListByHistory(long historyId, bool? deleted = null, bool? visible = null)
    {
        using var c = db.Open();
        return c.Query<HistoryCollectionRecord>(
            """
            SELECT * FROM history_collections WHERE history_id = @historyId
              AND (@deleted IS NULL OR deleted = @deleted) AND (@visible IS NULL OR visible = @visible) ORDER BY hid
            """, new { historyId, deleted = Database.Flag(deleted), visible = Database.Flag(visible) }).AsList();
    }

    public string CollectionType(long collectionId)
    {
        using var c = db.Open();
        return c.ExecuteScalar<string>("SELECT collection_type FROM dataset_collections WHERE id = @collectionId", new { collectionId })!;
    }

    public IReadOnlyList<CollectionElementRecord> Elements(long collectionId)
    {
        using var c = db.Open();
        return c.Query<CollectionElementRecord>("SELECT * FROM collection_elements WHERE collection_id = @collectionId ORDER BY element_index", new { collectionId }).AsList();
    }

    public void Update(long id, string? name, bool? visible, bool? deleted)
    {
        using var c = db.Open();
        c.Execute("UPDATE history_collections SET name = COALESCE(@name, name), visible = COALESCE(@visible, visible), deleted = COALESCE(@deleted, deleted), update_time = @now WHERE id = @id",
            new { id, name, visible = Database.Flag(visible), deleted = Database.Flag(deleted), now = Database.Now() });
    }

    private static long Insert(DbConnection c, DbTransaction t, CollectionSpec spec, string now)
    {
        long id = c.ExecuteScalar<long>("INSERT INTO dataset_collections (collection_type, create_time) VALUES (@CollectionType, @now) RETURNING id", new { spec.CollectionType, now }, t);
        foreach (var (element, index) in spec.Elements.Select((e, i) => (e, i)))
        {
            long? child = element.Child is { } nested ? Insert(c, t, nested, now) : null;
            c.Execute(
                """
                INSERT INTO collection_elements (collection_id, element_index, element_identifier, dataset_id, child_collection_id)
                VALUES (@id, @index, @Identifier, @DatasetId, @child)
                """, new { id, index, element.Identifier, element.DatasetId, child }, t);
        }
        return id;
    }
}
