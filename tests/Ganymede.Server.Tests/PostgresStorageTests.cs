using Dapper;
using Ganymede.Server.Storage;
using Ganymede.Tests;

namespace Ganymede.Server.Tests;

/// <summary>
/// What several servers on one PostgreSQL rely on, with real concurrency: they migrate a new database one at a time,
/// each queued job goes to exactly one of them, and a dead server's jobs to exactly one adopter. Always on PostgreSQL
/// (Debian's, started by <see cref="TestPostgres"/>), whichever database the rest of the suite runs on.
/// </summary>
public sealed class PostgresStorageTests
{
    private static PostgresDatabase Fresh(string name) => PostgresDatabase.FromUrl(TestPostgres.Database(name + "_" + Guid.NewGuid().ToString("N")[..8]));

    [Fact]
    public void Servers_starting_together_migrate_a_new_database_once_and_a_newer_one_is_refused()
    {
        var database = Fresh("migrate");
        Parallel.For(0, 4, _ => database.Migrate());
        using (var c = database.Open())
        {
            Assert.Equal([(long)Database.SchemaVersion], c.Query<long>("SELECT version FROM schema_version"));
            c.Execute("UPDATE schema_version SET version = version + 1");
        }
        var refused = Assert.Throws<InvalidDataException>(database.Migrate);
        Assert.StartsWith($"the database has schema version {Database.SchemaVersion + 1}, newer than this program's {Database.SchemaVersion}", refused.Message);
    }

    [Theory]
    [InlineData("mysql://u:secret@127.0.0.1/db", "--database: not a PostgreSQL URL")]
    [InlineData("postgresql://u:secret@127.0.0.1:5432/", "--database: the URL names no host or no database")]
    public void A_database_url_that_is_not_postgresqls_is_refused_without_repeating_the_password(string url, string message)
    {
        var refused = Assert.Throws<ArgumentException>(() => Database.Connect(url, "/nonexistent"));
        Assert.StartsWith(message, refused.Message);
        Assert.DoesNotContain("secret", refused.Message);
    }

    [Fact]
    public void A_queued_job_is_claimed_by_exactly_one_of_several_servers_and_a_dead_servers_jobs_by_one_adopter()
    {
        var database = Fresh("claims");
        database.Migrate();
        var user = new UserStore(database).Create("alice@example.org", isAdmin: false).User;
        var history = new HistoryStore(database).Create(user.Id, "h");
        var jobs = new JobStore(database);
        var queued = Enumerable.Range(0, 40).Select(_ => jobs.Create(new JobRecord
        {
            UserId = user.Id, HistoryId = history.Id, ToolId = "cat1", ToolVersion = "1", State = JobStates.Queued,
        })).ToList();

        // server0 has claimed a few before the others start (so that it has jobs to adopt below), which no other
        // server can take; then four servers race for the rest: each job is won once.
        var won = new System.Collections.Concurrent.ConcurrentBag<(long Job, string Handler)>();
        foreach (var job in queued.Take(5))
        {
            Assert.True(jobs.Claim(job.Id, "server0"));
            won.Add((job.Id, "server0"));
        }
        foreach (var job in queued.Take(5)) Assert.False(jobs.Claim(job.Id, "server1"));
        Parallel.For(0, 4, server =>
        {
            foreach (var job in queued.Skip(5))
                if (jobs.Claim(job.Id, $"server{server}")) won.Add((job.Id, $"server{server}"));
        });
        Assert.Equal(queued.Select(j => j.Id).Order(), won.Select(w => w.Job).Order());
        Assert.All(queued, j => Assert.Equal(won.Single(w => w.Job == j.Id).Handler, jobs.Get(j.Id)!.Handler));

        // server0 goes silent; three servers adopt its jobs at once: one gets them all, the others none.
        var handlers = new HandlerStore(database);
        foreach (var name in new[] { "server0", "server1", "server2", "server3" }) handlers.Register(name, "host", 1);
        var later = Database.Timestamp(DateTime.UtcNow.AddSeconds(1));
        var adopted = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        Parallel.For(1, 4, server => adopted[$"server{server}"] = handlers.Adopt("server0", $"server{server}", later).Count);
        int ofServer0 = won.Count(w => w.Handler == "server0");
        Assert.Equal([0, 0, ofServer0], adopted.Values.Order());
        var adopter = adopted.Single(a => a.Value == ofServer0).Key;
        Assert.All(won.Where(w => w.Handler == "server0"), w => Assert.Equal(adopter, jobs.Get(w.Job)!.Handler));
        Assert.Null(handlers.Get("server0"));
    }
}
