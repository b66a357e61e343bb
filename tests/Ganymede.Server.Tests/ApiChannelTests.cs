using System.Net;
using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>A script job calls the server through its channel (a socket in its sandbox, a key of its own) as its owner, and only while it runs.</summary>
public sealed class ApiChannelTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_script_job_works_as_its_owner_through_the_socket_and_its_key_dies_with_it()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var bob = new GanymedeClient(server.Url, server.BobKey);
        var bobs = await bob.CreateHistoryAsync("bob's");
        var history = await alice.CreateHistoryAsync("channel");
        var script = $$"""
            var server = GanymedeClient.FromEnvironment();
            var made = await server.CreateHistoryAsync("made by the job");
            var note = await server.PasteAsync(made.Id, "written inside the sandbox", "note.txt");
            Console.WriteLine($"made {made.Id} {note.Id}");
            try { await server.GetHistoryAsync("{{bobs.Id}}"); Console.WriteLine("bobs read"); }
            catch (GanymedeApiException e) { Console.WriteLine($"bobs {e.Status}"); }
            Console.WriteLine("key " + Environment.GetEnvironmentVariable("GANYMEDE_API_KEY"));
            Console.WriteLine("url " + Environment.GetEnvironmentVariable("GANYMEDE_URL"));
            """;
        var pasted = await alice.PasteAsync(history.Id, script, "channel.csx");
        var run = await alice.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(pasted.Id) });
        var job = await alice.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(2));
        var lines = job.Stdout!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");

        // What it made is Alice's, in her histories, as if she had made it.
        var ids = lines["made"].Split(' ');
        var made = await alice.GetHistoryAsync(ids[0]);
        Assert.Equal("made by the job", made.Name);
        var note = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"));
        await alice.DownloadAsync(ids[1], note);
        // Galaxy ends pasted text with a newline.
        Assert.Equal("written inside the sandbox\n", File.ReadAllText(note));
        File.Delete(note);
        // It could not reach Bob's, nor use a network address: only its socket.
        Assert.Equal("403", lines["bobs"]);
        Assert.Equal("", lines["url"]);
        // The key was never on a command line (which every process on the machine can read), and it ended with the job.
        var scripts = Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "jobs"), "job.sh", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, script => Assert.DoesNotContain(lines["key"], File.ReadAllText(script), StringComparison.Ordinal));
        using var afterwards = new GanymedeClient(server.Url, lines["key"]);
        var refused = await Assert.ThrowsAsync<GanymedeApiException>(() => afterwards.ListHistoriesAsync());
        Assert.Equal((int)HttpStatusCode.Forbidden, refused.Status);
    }
}
