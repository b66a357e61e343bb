using System.Security.Cryptography;
using Dapper;

namespace Ganymede.Server.Storage;

/// <summary>
/// Users and their API keys (several per user, each named, revocable). Only a SHA-256 hash of each key is stored;
/// the key is shown once, when made.
/// </summary>
public sealed class UserStore(Database db)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _lastUseWritten = new();

    /// <summary>Creates a user and returns it with its first API key (32 random bytes as hex).</summary>
    public (UserRecord User, string ApiKey) Create(string email, bool isAdmin, string? username = null)
    {
        email = email.Trim();
        if (email.Length is 0 or > 255 || !email.Contains('@', StringComparison.Ordinal) || email.Any(char.IsWhiteSpace))
            throw new ArgumentException($"'{email}' is not an e-mail address");
        var key = NewKey();
        using var c = db.Open();
        using var transaction = c.BeginTransaction();
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM users WHERE email = @email", new { email }, transaction) > 0)
            throw new ArgumentException($"a user with e-mail {email} already exists");
        // users.api_key_hash keeps the first key's hash (the column is older than api_keys); keys are looked up in api_keys.
        var user = c.QuerySingle<UserRecord>(
            "INSERT INTO users (email, username, api_key_hash, is_admin, create_time) VALUES (@email, @username, @hash, @isAdmin, @now) RETURNING *",
            new { email, username = username ?? email.Split('@')[0], hash = Hash(key), isAdmin = Database.Flag(isAdmin), now = Database.Now() }, transaction);
        InsertKey(c, transaction, user.Id, "made with the account", key);
        transaction.Commit();
        return (user, key);
    }

    /// <summary>The users that are not deleted, or (<paramref name="deleted"/>) those that are.</summary>
    public IReadOnlyList<UserRecord> All(bool deleted = false)
    {
        using var c = db.Open();
        return c.Query<UserRecord>("SELECT * FROM users WHERE deleted = @deleted ORDER BY email", new { deleted = Database.Flag(deleted) }).ToList();
    }

    /// <summary>A new API key for the user, under a name they choose; returned once.</summary>
    public string CreateApiKey(long userId, string name)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100 || name.Any(char.IsControl)) throw new ArgumentException("a key's name is 1 to 100 characters, without control characters");
        var key = NewKey();
        using var c = db.Open();
        InsertKey(c, null, userId, name, key);
        return key;
    }

    public IReadOnlyList<ApiKeyRecord> ApiKeys(long userId)
    {
        using var c = db.Open();
        return c.Query<ApiKeyRecord>("SELECT id, name, create_time, last_used FROM api_keys WHERE user_id = @userId ORDER BY id", new { userId }).ToList();
    }

    /// <summary>Revokes one of the user's keys; false if they have no such key.</summary>
    public bool RevokeApiKey(long userId, long keyId)
    {
        using var c = db.Open();
        return c.Execute("DELETE FROM api_keys WHERE id = @keyId AND user_id = @userId", new { keyId, userId }) == 1;
    }

    /// <summary>
    /// The user a key belongs to: a user's own key, or a running job's key (<see cref="CreateJobKey"/>), which acts for
    /// the job's owner but never as an administrator, and stops working when the job ends.
    /// </summary>
    public UserRecord? FindByApiKey(string key)
    {
        using var c = db.Open();
        var hash = Hash(key);
        if (c.QuerySingleOrDefault<UserRecord>("SELECT u.* FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = @hash AND u.deleted = 0", new { hash }) is { } user)
        {
            // To the minute: enough to tell a key in use from a forgotten one, without a write per request (a write
            // that changes nothing still waits for SQLite's one writer), nor a statement once this server wrote it.
            var now = Database.Now()[..16];
            if (_lastUseWritten.GetValueOrDefault(hash) != now)
            {
                c.Execute("UPDATE api_keys SET last_used = @now WHERE key_hash = @hash AND (last_used IS NULL OR last_used < @now)", new { hash, now });
                if (_lastUseWritten.Count > 10_000) _lastUseWritten.Clear();
                _lastUseWritten[hash] = now;
            }
            return user;
        }
        var owner = c.QuerySingleOrDefault<UserRecord>(
            "SELECT u.* FROM job_keys k JOIN jobs j ON j.id = k.job_id JOIN users u ON u.id = k.user_id WHERE k.key_hash = @hash AND j.state = 'running' AND u.deleted = 0", new { hash });
        if (owner is not null) (owner.IsAdmin, owner.ActsForJob) = (false, true);
        return owner;
    }

    /// <summary>A key for one job to call the API as its owner while it runs; only its hash is stored.</summary>
    public string CreateJobKey(long jobId, long userId)
    {
        var key = NewKey();
        using var c = db.Open();
        c.Execute("INSERT INTO job_keys (key_hash, job_id, user_id) VALUES (@hash, @jobId, @userId)", new { hash = Hash(key), jobId, userId });
        return key;
    }

    public UserRecord? Get(long id)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<UserRecord>("SELECT * FROM users WHERE id = @id", new { id });
    }

    public UserRecord? FindByEmail(string email)
    {
        using var c = db.Open();
        return c.QuerySingleOrDefault<UserRecord>("SELECT * FROM users WHERE email = @email", new { email = email.Trim() });
    }

    /// <summary>Changes a user's e-mail address and public name; false when another user has either already.</summary>
    public bool Rename(long id, string email, string username)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        if (c.ExecuteScalar<long>("SELECT COUNT(*) FROM users WHERE (email = @email OR username = @username) AND id <> @id", new { id, email, username }, t) > 0) return false;
        c.Execute("UPDATE users SET email = @email, username = @username WHERE id = @id", new { id, email, username }, t);
        t.Commit();
        return true;
    }

    public void SetDeleted(long id, bool deleted)
    {
        using var c = db.Open();
        c.Execute("UPDATE users SET deleted = @deleted WHERE id = @id AND purged = 0", new { id, deleted = Database.Flag(deleted) });
    }

    /// <summary>Forgets who the user was: a placeholder address and name, no password, no keys, nothing shared with them.</summary>
    public void Purge(long id)
    {
        using var c = db.Open();
        using var t = c.BeginTransaction();
        c.Execute("UPDATE users SET deleted = 1, purged = 1, email = @email, username = @username, password_hash = NULL WHERE id = @id",
            new { id, email = $"purged-{id}@deleted.invalid", username = $"purged-{id}" }, t);
        c.Execute("DELETE FROM api_keys WHERE user_id = @id", new { id }, t);
        c.Execute("DELETE FROM history_shares WHERE user_id = @id", new { id }, t);
        t.Commit();
    }

    public void SetPasswordHash(long id, string hash)
    {
        using var c = db.Open();
        c.Execute("UPDATE users SET password_hash = @hash WHERE id = @id", new { id, hash });
    }

    /// <summary>Stores an administrator's quota settings for the user; null returns them to the server's default.</summary>
    public void SetQuota(long id, string? quota)
    {
        using var c = db.Open();
        c.Execute("UPDATE users SET quota = @quota WHERE id = @id", new { id, quota });
    }

    /// <summary>
    /// Bytes the user stores: their datasets not yet purged and what they put in libraries (not files linked in
    /// place). Copies share one file (<see cref="FileStore.Share"/>) and count once, as Galaxy counts a copied dataset.
    /// </summary>
    public long DiskUsage(long userId)
    {
        using var c = db.Open();
        return c.ExecuteScalar<long>(
            """
            SELECT COALESCE(SUM(size), 0) FROM (
              SELECT MAX(file_size) AS size FROM (
                SELECT file_size, COALESCE(sha256, 'dataset ' || id) AS content FROM datasets WHERE user_id = @userId AND purged = 0
                UNION ALL SELECT file_size, COALESCE(sha256, 'library dataset ' || id) FROM library_datasets WHERE user_id = @userId AND purged = 0 AND linked_path IS NULL) AS stored
              GROUP BY content) AS contents
            """, new { userId });
    }

    private static void InsertKey(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? transaction, long userId, string name, string key) =>
        c.Execute("INSERT INTO api_keys (user_id, name, key_hash, create_time) VALUES (@userId, @name, @hash, @now)",
            new { userId, name, hash = Hash(key), now = Database.Now() }, transaction);

    private static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
}
