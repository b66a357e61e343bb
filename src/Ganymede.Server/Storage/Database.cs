using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Ganymede.Server.Storage;

/// <summary>
/// Where metadata lives. The stores speak portable SQL (RETURNING, no vendor functions) through Dapper, so a
/// database is a connection factory plus its schema: SQLite now; PostgreSQL (Npgsql) is one more subclass.
/// </summary>
public abstract class Database
{
    static Database() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public abstract DbConnection Open();

    /// <summary>The schema version this program's databases have; one made by a newer program is refused.</summary>
    public static int SchemaVersion => Migrations.Length;

    /// <summary>
    /// Brings the database to <see cref="SchemaVersion"/>, one numbered migration after another, each recorded in
    /// schema_version; a database without that table (new, or made before it existed) starts at 0. A database at a
    /// later version is refused rather than used with a schema this program does not know.
    /// </summary>
    /// <exception cref="InvalidDataException">the database's schema is newer than this program's.</exception>
    public void Migrate()
    {
        using var connection = Open();
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

    protected abstract string Schema { get; }

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
            connection.Execute(database.Schema);
            foreach (var (table, column, type) in AddedColumns)
                if (!database.HasColumn(connection, table, column)) connection.Execute($"ALTER TABLE {table} ADD COLUMN {column} {type}");
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
    ];

    /// <summary>Timestamps are stored as ISO-8601 text in UTC without a zone, the form Galaxy returns.</summary>
    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
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

    protected override string Schema => """
        CREATE TABLE IF NOT EXISTS users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT NOT NULL UNIQUE,
            username TEXT NOT NULL,
            api_key_hash TEXT NOT NULL UNIQUE,
            is_admin INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS histories (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            annotation TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            purged INTEGER NOT NULL DEFAULT 0,
            published INTEGER NOT NULL DEFAULT 0,
            next_hid INTEGER NOT NULL DEFAULT 1,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS histories_user ON histories(user_id);
        CREATE TABLE IF NOT EXISTS datasets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            history_id INTEGER NOT NULL REFERENCES histories(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            hid INTEGER NOT NULL,
            name TEXT NOT NULL,
            extension TEXT NOT NULL,
            state TEXT NOT NULL,
            visible INTEGER NOT NULL DEFAULT 1,
            deleted INTEGER NOT NULL DEFAULT 0,
            purged INTEGER NOT NULL DEFAULT 0,
            file_size INTEGER NOT NULL DEFAULT 0,
            sha256 TEXT,
            peek TEXT,
            info TEXT,
            metadata TEXT,
            creating_job_id INTEGER,
            created_from_basename TEXT,
            uuid TEXT NOT NULL,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS datasets_history ON datasets(history_id, hid);
        CREATE TABLE IF NOT EXISTS jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id),
            history_id INTEGER NOT NULL REFERENCES histories(id),
            tool_id TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            state TEXT NOT NULL,
            exit_code INTEGER,
            params TEXT NOT NULL,
            inputs TEXT NOT NULL,
            outputs TEXT NOT NULL,
            external_id TEXT,
            info TEXT,
            command_line TEXT,
            progress TEXT,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
        CREATE INDEX IF NOT EXISTS jobs_user ON jobs(user_id);
        CREATE TABLE IF NOT EXISTS api_keys (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            create_time TEXT NOT NULL,
            last_used TEXT);
        CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys(user_id);
        CREATE TABLE IF NOT EXISTS applied_migrations (
            name TEXT PRIMARY KEY,
            apply_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS job_keys (
            key_hash TEXT PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs(id),
            user_id INTEGER NOT NULL REFERENCES users(id));
        CREATE TABLE IF NOT EXISTS uploads (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            length INTEGER NOT NULL,
            offset_bytes INTEGER NOT NULL,
            create_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS roles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            deleted INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS role_users (
            role_id INTEGER NOT NULL REFERENCES roles(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (role_id, user_id));
        CREATE TABLE IF NOT EXISTS groups (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            deleted INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS group_users (
            group_id INTEGER NOT NULL REFERENCES groups(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (group_id, user_id));
        CREATE TABLE IF NOT EXISTS group_roles (
            group_id INTEGER NOT NULL REFERENCES groups(id),
            role_id INTEGER NOT NULL REFERENCES roles(id),
            PRIMARY KEY (group_id, role_id));
        CREATE TABLE IF NOT EXISTS quotas (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL,
            bytes INTEGER,
            operation TEXT NOT NULL,
            default_for TEXT UNIQUE,
            deleted INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS quota_users (
            quota_id INTEGER NOT NULL REFERENCES quotas(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (quota_id, user_id));
        CREATE TABLE IF NOT EXISTS quota_groups (
            quota_id INTEGER NOT NULL REFERENCES quotas(id),
            group_id INTEGER NOT NULL REFERENCES groups(id),
            PRIMARY KEY (quota_id, group_id));
        CREATE TABLE IF NOT EXISTS libraries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            synopsis TEXT NOT NULL DEFAULT '',
            deleted INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS library_folders (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            library_id INTEGER NOT NULL REFERENCES libraries(id),
            parent_id INTEGER REFERENCES library_folders(id),
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            deleted INTEGER NOT NULL DEFAULT 0,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS library_folders_parent ON library_folders(library_id, parent_id);
        CREATE TABLE IF NOT EXISTS library_datasets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            library_id INTEGER NOT NULL REFERENCES libraries(id),
            folder_id INTEGER NOT NULL REFERENCES library_folders(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            extension TEXT NOT NULL,
            state TEXT NOT NULL,
            file_size INTEGER NOT NULL DEFAULT 0,
            sha256 TEXT,
            peek TEXT,
            info TEXT,
            metadata TEXT,
            message TEXT NOT NULL DEFAULT '',
            tags TEXT,
            genome_build TEXT NOT NULL DEFAULT '?',
            linked_path TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            purged INTEGER NOT NULL DEFAULT 0,
            uuid TEXT NOT NULL,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS library_datasets_folder ON library_datasets(folder_id);
        CREATE TABLE IF NOT EXISTS dataset_collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_type TEXT NOT NULL,
            create_time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS collection_elements (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id INTEGER NOT NULL REFERENCES dataset_collections(id),
            element_index INTEGER NOT NULL,
            element_identifier TEXT NOT NULL,
            dataset_id INTEGER REFERENCES datasets(id),
            child_collection_id INTEGER REFERENCES dataset_collections(id));
        CREATE INDEX IF NOT EXISTS collection_elements_collection ON collection_elements(collection_id, element_index);
        CREATE TABLE IF NOT EXISTS history_collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            history_id INTEGER NOT NULL REFERENCES histories(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            collection_id INTEGER NOT NULL REFERENCES dataset_collections(id),
            hid INTEGER NOT NULL,
            name TEXT NOT NULL,
            visible INTEGER NOT NULL DEFAULT 1,
            deleted INTEGER NOT NULL DEFAULT 0,
            creating_job_id INTEGER,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS history_collections_history ON history_collections(history_id, hid);
        CREATE TABLE IF NOT EXISTS workflows (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id INTEGER NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            annotation TEXT NOT NULL DEFAULT '',
            published INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            latest_version INTEGER NOT NULL DEFAULT 0,
            uuid TEXT NOT NULL,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS workflows_user ON workflows(user_id);
        CREATE TABLE IF NOT EXISTS workflow_versions (
            workflow_id INTEGER NOT NULL REFERENCES workflows(id),
            version INTEGER NOT NULL,
            definition TEXT NOT NULL,
            create_time TEXT NOT NULL,
            PRIMARY KEY (workflow_id, version));
        CREATE TABLE IF NOT EXISTS invocations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workflow_id INTEGER NOT NULL REFERENCES workflows(id),
            version INTEGER NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            history_id INTEGER NOT NULL REFERENCES histories(id),
            state TEXT NOT NULL,
            inputs TEXT NOT NULL,
            parameters TEXT NOT NULL,
            messages TEXT,
            uuid TEXT NOT NULL,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS invocations_state ON invocations(state);
        CREATE TABLE IF NOT EXISTS invocation_steps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            invocation_id INTEGER NOT NULL REFERENCES invocations(id),
            order_index INTEGER NOT NULL,
            state TEXT NOT NULL,
            action INTEGER,
            outputs TEXT NOT NULL,
            info TEXT,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL,
            UNIQUE (invocation_id, order_index));
        CREATE TABLE IF NOT EXISTS invocation_step_jobs (
            step_id INTEGER NOT NULL REFERENCES invocation_steps(id),
            job_id INTEGER NOT NULL REFERENCES jobs(id),
            PRIMARY KEY (step_id, job_id));
        CREATE TABLE IF NOT EXISTS history_exports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            history_id INTEGER NOT NULL REFERENCES histories(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            options TEXT NOT NULL,
            version TEXT NOT NULL,
            state TEXT NOT NULL,
            info TEXT,
            create_time TEXT NOT NULL,
            update_time TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS history_exports_history ON history_exports(history_id);
        CREATE TABLE IF NOT EXISTS history_shares (
            history_id INTEGER NOT NULL REFERENCES histories(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            create_time TEXT NOT NULL,
            PRIMARY KEY (history_id, user_id));
        CREATE INDEX IF NOT EXISTS history_shares_user ON history_shares(user_id);
        CREATE TABLE IF NOT EXISTS permissions (
            item TEXT NOT NULL,
            item_id INTEGER NOT NULL,
            action TEXT NOT NULL,
            role INTEGER NOT NULL,
            PRIMARY KEY (item, item_id, action, role));
        """;
}
