using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>tus upload sessions: how long the file will be and how much of it has arrived.</summary>
public sealed class UploadStore(Database db)
{
    public UploadRecord Create(string id, long userId, long length)
    {
        using var c = db.Open();
        return c.QuerySingle<UploadRecord>(
            "INSERT INTO uploads (id, user_id, length, offset_bytes, create_time) VALUES (@id, @userId, @length, 0, @now) RETURNING *",
            new { id, userId, length, now = Database.Now() });
    }

    public UploadRecord? Get(string id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<UploadRecord>("SELECT * FROM uploads WHERE id = @id", new { id });
    }

    public void SetOffset(string id, long offset)
    {
        using var c = db.Open();
        c.Execute("UPDATE uploads SET offset_bytes = @offset WHERE id = @id", new { id, offset });
    }

    public void Delete(string id)
    {
        using var c = db.Open();
        c.Execute("DELETE FROM uploads WHERE id = @id", new { id });
    }
}
