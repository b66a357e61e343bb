using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Ganymede.Server.Storage;

/// <summary>
/// Where metadata lives. The stores speak portable SQL (RETURNING, ON CONFLICT, no vendor functions) through Dapper,
/// so a database is a connection factory plus its dialect: SQLite in the data directory (the embedded default), or
/// PostgreSQL, which several servers share. Flags are INTEGER columns on both: stores pass them as 0 or 1.
/// </summary>
public abstract class Database
{
    static Database() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <summary>The environment variable that names the database when --database does not.</summary>
    public const string UrlVariable = "GANYMEDE_DATABASE";

    public abstract DbConnection Open();

    /// <summary>
    /// The database <paramref name="url"/> names (postgresql://USER:PASSWORD@HOST:PORT/DB), or with none the SQLite
    /// file in the data directory.
    /// </summary>
    /// <exception cref="ArgumentException">the URL is not one Ganymede knows.</exception>
    public static Database Connect(string? url, string dataDirectory) =>
        string.IsNullOrWhiteSpace(url) ? new SqliteDatabase(Path.Combine(dataDirectory, "ganymede.sqlite")) : PostgresDatabase.FromUrl(url);

    /// <summary>The schema version this program's databases have; one made by a newer program is refused.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <summary>
    /// Brings the database to <see cref="SchemaVersion"/>, one numbered migration after another, each recorded in
    /// schema_version; a database without that table (new, or made before it existed) starts at 0. A database at a
    /// later version is refused rather than used with a schema this program does not know. Servers starting together
    /// on one database migrate it one after the other (<see cref="LockSchema"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">the database's schema is newer than this program's.</exception>
    public void Migrate()
    {
        using var connection = Open();
        using var schemaLock = LockSchema(connection);
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        long found = connection.ExecuteScalar<long?>("SELECT MAX(version) FROM schema_version") ?? 0;
        if (found > SchemaVersion)
            throw new InvalidDataException($"the database has schema version {found}, newer than this program's {SchemaVersion}: run the Ganymede that made it, or a newer one");
        for (int number = (int)found + 1; number <= SchemaVersion; number++)
        {
            Migrations[number - 1](this, connection);
            connection.Execute("DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (@number)", new { number });
        }
    }

    /// <summary>Holds other processes off the schema until disposed (SQLite's own file lock suffices for one file).</summary>
    protected virtual IDisposable? LockSchema(DbConnection connection) => null;

    /// <summary>
    /// A lock on <paramref name="key"/> in <paramref name="space"/> that the other servers of this database respect, held
    /// until disposed or until this process ends; null when another holds it. A SQLite database has one server, whose
    /// callers hold their own locks, so there it is always granted.
    /// </summary>
    public virtual IDisposable? TryLock(LockSpace space, long key) => NoLock.Instance;

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose() { }
    }

    /// <summary>
    /// "<paramref name="column"/> is one of the list <paramref name="parameter"/>": Dapper expands a list into one
    /// parameter per item for SQLite, and passes it whole as an array to PostgreSQL.
    /// </summary>
    public virtual string In(string column, string parameter) => $"{column} IN @{parameter}";

    /// <summary>The SQL of <see cref="Schema"/> as this engine reads it.</summary>
    protected virtual string Dialect(string sql) => sql;

    /// <summary>
    /// Changes to existing rows, each applied once (recorded in applied_migrations), in order: unlike the schema,
    /// running one again would undo what users did since (a revoked key would come back).
    /// </summary>
    private static readonly (string Name, string Sql)[] DataMigrations =
    [
        ("0001_api_keys_from_users", """
            INSERT INTO api_keys (user_id, name, key_hash, create_time)
            SELECT id, 'made with the account', api_key_hash, create_time FROM users
            WHERE api_key_hash NOT IN (SELECT key_hash FROM api_keys)
            """),
    ];

    /// <summary>Columns added to tables before versions were kept (migration 1 adds those a database lacks).</summary>
    private static readonly (string Table, string Column, string Type)[] AddedColumns = [("jobs", "progress", "TEXT"), ("users", "quota", "TEXT"), ("users", "password_hash", "TEXT"),
         ("histories", "tags", "TEXT"), ("histories", "slug", "TEXT"), ("datasets", "annotation", "TEXT"), ("datasets", "genome_build", "TEXT NOT NULL DEFAULT '?'"),
         ("datasets", "tags", "TEXT"), ("histories", "importable", "INTEGER NOT NULL DEFAULT 0"), ("datasets", "published", "INTEGER NOT NULL DEFAULT 0"),
         ("users", "deleted", "INTEGER NOT NULL DEFAULT 0"), ("users", "purged", "INTEGER NOT NULL DEFAULT 0"),
         ("invocations", "parent_step_id", "INTEGER REFERENCES invocation_steps(id)"), ("invocations", "path", "TEXT")];

    protected abstract bool HasColumn(DbConnection connection, string table, string column);

    /// <summary>
    /// The migrations, numbered from 1. Never change one that has shipped: add the next, which runs once on every
    /// database older than it. The first is the schema of December 2026, written so that it also completes databases
    /// made before versions were kept (each table and column only if missing, each data change once).
    /// </summary>
    private static readonly Action<Database, DbConnection>[] Migrations =
    [
        (database, connection) =>
        {
            connection.Execute(database.Dialect(Schema.First));
            foreach (var (table, column, type) in AddedColumns)
                if (!database.HasColumn(connection, table, column)) connection.Execute(database.Dialect($"ALTER TABLE {table} ADD COLUMN {column} {type}"));
            foreach (var (name, sql) in DataMigrations)
            {
                using var transaction = connection.BeginTransaction();
                if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM applied_migrations WHERE name = @name", new { name }, transaction) == 0)
                {
                    connection.Execute(sql, transaction: transaction);
                    connection.Execute("INSERT INTO applied_migrations (name, apply_time) VALUES (@name, @now)", new { name, now = Now() }, transaction);
                }
                transaction.Commit();
            }
        },
        (database, connection) => connection.Execute(database.Dialect(Schema.JobHandlers)),
        (database, connection) => connection.Execute(database.Dialect(Schema.ContentsVersionIndexes)),
    ];

    /// <summary>A flag as its INTEGER column holds it (PostgreSQL does not compare or store a boolean as a number).</summary>
    public static int Flag(bool value) => value ? 1 : 0;

    /// <summary>A flag that may be unset (a filter that is off), as its INTEGER column holds it.</summary>
    public static int? Flag(bool? value) => value is { } v ? Flag(v) : null;

    /// <summary>Timestamps are stored as ISO-8601 text in UTC without a zone, the form Galaxy returns.</summary>
    public static string Now() => Timestamp(DateTime.UtcNow);

    /// <summary>A UTC time as timestamps are stored (they compare as text in time order).</summary>
    public static string Timestamp(DateTime utc) => utc.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What a <see cref="Database.TryLock"/> key numbers.</summary>
public enum LockSpace
{
    InvocationScheduling = 1,
}

/// <summary>The embedded default: one SQLite file in the data directory, in WAL mode so readers never wait for the job runner's writes.</summary>
public sealed class SqliteDatabase : Database
{
    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using var connection = Open();
        connection.Execute("PRAGMA journal_mode=WAL;");
    }

    public override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    protected override bool HasColumn(DbConnection connection, string table, string column) =>
        connection.Query<string>($"SELECT name FROM pragma_table_info('{table}')").Contains(column);
}
