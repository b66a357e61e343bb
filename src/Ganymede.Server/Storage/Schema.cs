namespace Ganymede.Server.Storage;

/// <summary>
/// The tables, in SQL both engines read: INTEGER for every number and flag (0 or 1), TEXT for every string, timestamp
/// (<see cref="Database.Now"/>) and JSON document. PostgreSQL reads INTEGER as BIGINT and the AUTOINCREMENT keys as
/// identity columns (<see cref="PostgresDatabase"/>). Each text here is one migration's; a shipped one never changes.
/// </summary>
internal static class Schema
{
    /// <summary>Migration 1: the schema of December 2026 (every statement only if its table or index is missing).</summary>
    public const string First = """
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

    /// <summary>
    /// Migration 2: several servers over one database. Each server is a job handler with a heartbeat; a job belongs
    /// to the handler that started it (or that made it, while it is new), and to none while it waits in the queue.
    /// </summary>
    public const string JobHandlers = """
        ALTER TABLE jobs ADD COLUMN handler TEXT;
        CREATE INDEX jobs_handler ON jobs(handler, state);
        CREATE TABLE handlers (
            name TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            start_time TEXT NOT NULL,
            heartbeat TEXT NOT NULL);
        """;

    /// <summary>
    /// Migration 3: a history's contents version (<see cref="DatasetStore.ContentsVersion"/>) read from two indexes
    /// instead of from every row of the history.
    /// </summary>
    public const string ContentsVersionIndexes = """
        CREATE INDEX datasets_history_update ON datasets(history_id, update_time);
        CREATE INDEX history_collections_history_update ON history_collections(history_id, update_time);
        """;
}
