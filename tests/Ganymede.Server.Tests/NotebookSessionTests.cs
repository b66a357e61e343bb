using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Ganymede.Client;
using Ganymede.Server.Sessions;
using Ganymede.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using static Ganymede.Server.Tests.SessionDriver;

namespace Ganymede.Server.Tests;

/// <summary>
/// Notebook sessions end to end with Debian's Jupyter Notebook: started as a tool, reached only by their owner (or
/// with their own token) through the proxy, cells run over the kernel's WebSocket as a remote front end runs them,
/// the history reached from inside with the session's own key, and stopped (by request, when idle, or by a crash)
/// with their notebooks and outputs saved and every process gone.
/// </summary>
public sealed class NotebookSessionTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private long JobId(string encoded) => server.Services.GetRequiredService<IdCodec>().TryDecode(encoded, out var id) ? id : throw new ArgumentException(encoded);

    [Fact]
    public async Task A_session_works_for_its_owner_only_reaches_its_history_and_saves_its_notebooks_when_stopped()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var bob = new GanymedeClient(server.Url, server.BobKey);
        var bobs = await bob.CreateHistoryAsync("bob's");
        var history = await alice.CreateHistoryAsync("session");
        var data = await alice.PasteAsync(history.Id, "slice,dice\n1,0.75\n", "scores.csv");
        await alice.WaitForDatasetAsync(data.Id, TimeSpan.FromMinutes(1));
        var other = await alice.PasteAsync(history.Id, "not chosen, fetched with get", "notes.txt");
        await alice.WaitForDatasetAsync(other.Id, TimeSpan.FromMinutes(1));
        using var http = server.Http(server.AliceKey);
        var (job, target) = await StartAsync(alice, history.Id,
            new JsonObject { ["inputs"] = new JsonObject { ["values"] = new JsonArray(GanymedeClient.DatasetInput(data.Id)) } });
        Assert.Equal($"/interactivetool/ep/{job}/", target.AbsolutePath);
        Assert.Equal(target.ToString(), (await http.GetFromJsonAsync<JsonObject>($"/api/entry_points/{job}/access"))!["target"]!.ToString());

        // Its owner gets in; nobody else, with a key, without one, or with a wrong token. Its own token opens it alone.
        var specs = (await http.GetFromJsonAsync<JsonObject>(target + "api/kernelspecs"))!["kernelspecs"]!.AsObject();
        Assert.Equal(["ganymede", "python3"], specs.Select(s => s.Key).Order());
        using (var bobs_http = server.Http(server.BobKey)) Assert.Equal(HttpStatusCode.Forbidden, (await bobs_http.GetAsync(target + "api/kernelspecs")).StatusCode);
        var refused = await Assert.ThrowsAsync<GanymedeApiException>(() => bob.RunToolAsync(bobs.Id, SessionDriver.Tool,
            new JsonObject { ["inputs"] = new JsonObject { ["values"] = new JsonArray(GanymedeClient.DatasetInput(data.Id)) } }));
        Assert.Equal(403, refused.Status);
        using var nobody = server.Http(null);
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync(target + "api/kernelspecs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync(target + "api/kernelspecs?token=" + new string('0', 64))).StatusCode);
        var token = server.Services.GetRequiredService<NotebookSessions>().AccessToken(JobId(job))!;
        using (var frontEnd = server.Http(null))
        {
            frontEnd.DefaultRequestHeaders.Authorization = new("token", token);
            Assert.Equal(HttpStatusCode.OK, (await frontEnd.GetAsync(target + "api/kernelspecs")).StatusCode);
        }

        // A remote front end: start a kernel, run cells over its WebSocket. A WebSocket from another site's page is refused.
        using (var evil = new ClientWebSocket())
        {
            evil.Options.SetRequestHeader("x-api-key", server.AliceKey);
            evil.Options.SetRequestHeader("Origin", "http://elsewhere.example");
            await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(new UriBuilder(target + "api/kernels/x/channels") { Scheme = "ws" }.Uri, CancellationToken.None));
        }
        using var python = await NotebookKernel.StartAsync(target, server.AliceKey);
        Assert.Equal("'slice,dice\\n1,0.75\\n'", await python.ExecuteAsync("open('outputs/result.txt', 'w').write('dice 0.75')\nopen('inputs/scores.csv').read()"));
        // The history from inside: get copies a dataset in, put stores a file, BioBlend sees the owner's histories.
        Assert.Equal("'not chosen, fetched with get\\n'", await python.ExecuteAsync($"open(get({other.Hid})).read()"));
        await python.ExecuteAsync("open('summary.txt', 'w').write('put from Python')\nput('summary.txt')['id']");
        Assert.Contains("'session'", await python.ExecuteAsync(
            "import os\nfrom bioblend.galaxy import GalaxyInstance\n[h['name'] for h in GalaxyInstance(os.environ['GALAXY_URL'], key=os.environ['API_KEY']).histories.get_histories()]"));
        // The session's key is not its owner's, reaches only what its owner may, and dies with the session.
        var sessionKey = (await python.ExecuteAsync("os.environ['API_KEY']")).Trim('\'');
        Assert.NotEqual(server.AliceKey, sessionKey);
        Assert.DoesNotContain(server.AliceKey, await python.ExecuteAsync("str(dict(os.environ))"));
        using var asSession = new GanymedeClient(server.Url, sessionKey);
        Assert.Equal(history.Name, (await asSession.GetHistoryAsync(history.Id)).Name);
        Assert.Equal(403, (await Assert.ThrowsAsync<GanymedeApiException>(() => asSession.GetHistoryAsync(bobs.Id))).Status);
        using (var sessionHttp = server.Http(sessionKey))
            Assert.Equal(HttpStatusCode.Forbidden, (await sessionHttp.PostAsync("/api/users/current/api_key", null)).StatusCode);

        // A notebook saved in the session, then the session stopped: it and the output file come back as datasets, the
        // starter notebooks as they came do not, and nothing of the session is left running.
        var notebook = new JsonObject
        {
            ["type"] = "notebook", ["format"] = "json",
            ["content"] = new JsonObject { ["nbformat"] = 4, ["nbformat_minor"] = 5, ["metadata"] = new JsonObject(), ["cells"] = new JsonArray() },
        };
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsJsonAsync(target + "api/contents/analysis.ipynb", notebook)).StatusCode);
        var sandbox = Namespace(job);
        Assert.True(Processes(sandbox).Count >= 3, "the job's shell, Jupyter and the kernel");
        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/jobs/{job}")).StatusCode);
        Assert.Equal("ok", (await alice.WaitForJobAsync(job, TimeSpan.FromMinutes(2))).State);
        Assert.Empty(await ProcessesLeftAsync(sandbox));
        var contents = await alice.ListContentsAsync(history.Id);
        Assert.Equal(("ipynb", "ok"), contents.Single(d => d.Name == "analysis.ipynb") is var n ? (n.Type, n.State) : default);
        Assert.DoesNotContain(contents, d => d.Name.Contains("start_here", StringComparison.Ordinal));
        Assert.Equal("dice 0.75", await TextOf(alice, contents.Single(d => d.Name == "result.txt")));
        Assert.Equal("put from Python\n", await TextOf(alice, contents.Single(d => d.Name == "summary.txt")));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(target + "api/kernelspecs")).StatusCode);
        Assert.Equal(403, (await Assert.ThrowsAsync<GanymedeApiException>(() => asSession.ListHistoriesAsync())).Status);
    }

    [Fact]
    public async Task An_idle_session_stops_by_itself_and_saves_its_notebooks_and_says_which_it_could_not()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("idle");
        using var http = server.Http(server.AliceKey);
        var (job, target) = await StartAsync(alice, history.Id, new JsonObject { ["idle_minutes"] = 0.1 });
        var sandbox = Namespace(job);
        var notebook = new JsonObject
        {
            ["type"] = "notebook", ["format"] = "json",
            ["content"] = new JsonObject { ["nbformat"] = 4, ["nbformat_minor"] = 5, ["metadata"] = new JsonObject(), ["cells"] = new JsonArray() },
        };
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsJsonAsync(target + "api/contents/left.ipynb", notebook)).StatusCode);
        // A "notebook" that is a link out of the session cannot be saved: the stop says so and leaves it where it is. A
        // link to a folder of the server's machine is not followed.
        var outside = Directory.CreateDirectory(Path.Combine(server.DataDirectory, "not-the-sessions")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret.ipynb"), "{}");
        using (var python = await NotebookKernel.StartAsync(target, server.AliceKey))
            await python.ExecuteAsync($"import os\nos.symlink('/etc/passwd', 'leak.ipynb')\nos.symlink('{outside}', 'elsewhere')\n" +
                "os.remove('start_here.ipynb')\nos.mkfifo('start_here.ipynb')"); // a pipe in a starter's place: never waited on
        // Six seconds idle (a kernel left open without a page does not count), checked every two: it ends by itself.
        var ended = await alice.WaitForJobAsync(job, TimeSpan.FromMinutes(1), throwOnFailure: false);
        Assert.Equal("error", ended.State);
        Assert.EndsWith("; it is kept in the session's folder on the server", ended.Info);
        Assert.NotNull(new FileInfo(Path.Combine(server.DataDirectory, "jobs", JobId(job).ToString(System.Globalization.CultureInfo.InvariantCulture), "work", "leak.ipynb")).LinkTarget);
        var contents = await alice.ListContentsAsync(history.Id);
        Assert.Contains(contents, d => d.Name == "left.ipynb" && d.State == "ok");
        Assert.Equal("work/leak.ipynb is a symbolic link; only regular files are collected", contents.Single(d => d.Name == "leak.ipynb") is { State: "error" } leak ? leak.MiscInfo : null);
        Assert.Equal("error", contents.Single(d => d.Name == "start_here.ipynb").State);
        Assert.DoesNotContain(contents, d => d.Name.Contains("secret", StringComparison.Ordinal));
        Assert.Empty(await ProcessesLeftAsync(sandbox));
    }

    [Fact]
    public async Task A_crashed_notebook_server_ends_the_session_in_error_with_its_log()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("crash");
        using var http = server.Http(server.AliceKey);
        var (job, _) = await StartAsync(alice, history.Id);
        var sandbox = Namespace(job);
        Process.GetProcessById(Processes(sandbox).Single(pid => CommandLine(pid).Contains("session_launcher.py", StringComparison.Ordinal))).Kill();
        var ended = await alice.WaitForJobAsync(job, TimeSpan.FromMinutes(1), throwOnFailure: false);
        Assert.Equal("error", ended.State);
        var full = await alice.GetJobAsync(job, full: true);
        Assert.Contains("Jupyter Notebook 6.4.12 is running", full.Stderr + full.Stdout, StringComparison.Ordinal);
        Assert.Empty(await ProcessesLeftAsync(sandbox));
    }

    private async Task<string> TextOf(GanymedeClient client, Dataset dataset)
    {
        var path = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N"));
        await client.DownloadAsync(dataset.Id, path);
        return await File.ReadAllTextAsync(path);
    }
}
