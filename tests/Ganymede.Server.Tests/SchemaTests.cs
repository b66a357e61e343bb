using Dapper;
using Ganymede.Server.Storage;
using Ganymede.Tests;
using Microsoft.Data.Sqlite;

namespace Ganymede.Server.Tests;

/// <summary>
/// The versioned schema: a database the landed main of 2026-12-02 made is upgraded on start with its users, keys,
/// histories, datasets and jobs intact; migrating again changes nothing; a database from a newer program is refused.
/// </summary>
public sealed class SchemaTests : TempDirectoryTest
{
    private const string FixtureKey = "fixture-key-of-alice-0000000000000000";

    private string Database(string name)
    {
        var path = Path.Combine(Dir, name);
        using var connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        connection.Execute(File.ReadAllText(RepositoryFiles.Fixture("schema/landed-2026-12-02.sql")));
        return path;
    }

    private static long Version(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path}");
        return connection.ExecuteScalar<long>("SELECT version FROM schema_version");
    }

    [Fact]
    public void A_database_made_by_the_landed_main_is_upgraded_with_its_data_intact()
    {
        var path = Database("old.sqlite");
        var database = new SqliteDatabase(path);
        database.Migrate();
        Assert.Equal(Storage.Database.SchemaVersion, Version(path));

        var alice = new UserStore(database).FindByApiKey(FixtureKey);
        Assert.Equal(("alice@example.org", false), (alice?.Email, alice?.Deleted));
        var history = new HistoryStore(database).Get(1)!;
        Assert.Equal(("COVID-19 CT", "ct", false), (history.Name, string.Join(",", history.TagList), history.Importable));
        Assert.Equal([("train_im.nii.gz", "nii.gz", 1234L), ("covid.h5", "h5", 5678L)],
            new DatasetStore(database).ListByHistory(1).Select(d => (d.Name, d.Extension, d.FileSize)));
        var job = new JobStore(database).Get(1)!;
        Assert.Equal(("ganymede_pack", "ok", 2L), (job.ToolId, job.State, new JobStore(database).Outputs(job)["packed"]));

        // What came after that main works on the upgraded database: sharing, a dataset's publication.
        var histories = new HistoryStore(database);
        histories.Share(1, [1]);
        Assert.True(histories.IsSharedWith(1, 1));
        new DatasetStore(database).SetPublished(2, true);
        Assert.True(new DatasetStore(database).Get(2)!.Published);

        // Migrating again finds nothing to do.
        new SqliteDatabase(path).Migrate();
        Assert.Equal(Storage.Database.SchemaVersion, Version(path));
        Assert.Equal(2, new DatasetStore(database).ListByHistory(1).Count);
    }

    [Fact]
    public void A_database_of_a_newer_program_is_refused_with_the_reason()
    {
        var path = Path.Combine(Dir, "new.sqlite");
        new SqliteDatabase(path).Migrate();
        using (var connection = new SqliteConnection($"Data Source={path}"))
            connection.Execute("UPDATE schema_version SET version = version + 1");
        var refused = Assert.Throws<InvalidDataException>(() => new SqliteDatabase(path).Migrate());
        Assert.Equal($"the database has schema version {Storage.Database.SchemaVersion + 1}, newer than this program's {Storage.Database.SchemaVersion}: " +
            "run the Ganymede that made it, or a newer one", refused.Message);
    }
}
