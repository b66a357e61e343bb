using Ganymede.Tests;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using static Ganymede.Server.Tests.WorkflowTests;

namespace Ganymede.Server.Tests;

/// <summary>An invocation outlives its server: a new server on the same data directory carries it on from where it stopped.</summary>
public sealed class WorkflowRestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ganymede-workflow-restart-").FullName;

    private async Task<(WebApplication App, HttpClient Http, GanymedeClient Client)> StartAsync(string key)
    {
        var app = GanymedeServer.Build(new ServerOptions
        {
            Urls = "http://127.0.0.1:0", DataDirectory = _data, Database = TestPostgres.UrlFor(_data), GanymedeCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "ganymede.dll")],
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Add("x-api-key", key);
        return (app, http, new GanymedeClient(url, key));
    }

    [Fact]
    public async Task A_paused_invocation_goes_on_under_a_new_server()
    {
        var (_, database) = GanymedeServer.OpenDataDirectory(_data, TestPostgres.UrlFor(_data));
        string key = new UserStore(database).Create("dan@example.org", isAdmin: false).ApiKey;
        var (first, http, client) = await StartAsync(key);
        string invocation, pause, history;
        try
        {
            history = (await client.CreateHistoryAsync("outlives its server")).Id;
            var data = await client.PasteAsync(history, "a\nb\nc\n", "abc.txt");
            var workflow = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject
            {
                ["workflow"] = Ga("paused", Step(0, "data_input"), Step(1, "pause", connections: [("input", "0/output")]),
                    Step(2, "tool", "Show beginning1", state: new JsonObject { ["lineNum"] = "1" }, connections: [("input", "1/output")])),
            }));
            invocation = (await Json(await http.PostAsJsonAsync($"/api/workflows/{workflow["id"]}/invocations", new JsonObject
            {
                ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hda", ["id"] = data.Id } }, ["history_id"] = history,
            })))["id"]!.ToString();
            pause = StepAt(await WaitAsync(http, invocation, i => StepAt(i, 1) is not null, "reaching the pause"), 1)!["id"]!.ToString();
        }
        finally
        {
            http.Dispose();
            client.Dispose();
            await first.StopAsync();
            await first.DisposeAsync();
        }

        var (second, http2, client2) = await StartAsync(key);
        try
        {
            Assert.Equal("ready", (await Json(await http2.GetAsync($"/api/invocations/{invocation}")))["state"]!.ToString());
            await Json(await http2.PutAsJsonAsync($"/api/invocations/{invocation}/steps/{pause}", new { action = true }));
            var done = await WaitAsync(http2, invocation, i => i["state"]!.ToString() == "scheduled", "scheduling the last step");
            var job = StepAt(done, 2)!["job_id"]!.ToString();
            Assert.Equal("ok", (await client2.WaitForJobAsync(job, TimeSpan.FromMinutes(1))).State);
            Assert.Equal("a\n", await http2.GetStringAsync($"/api/datasets/{StepAt(done, 2)!["outputs"]!["out_file1"]!["id"]}/display"));
            // Each step ran once: one job in all.
            Assert.Single((await http2.GetFromJsonAsync<JsonArray>($"/api/jobs?invocation_id={invocation}"))!);
        }
        finally
        {
            http2.Dispose();
            client2.Dispose();
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }

    /// <summary>
    /// A scheduler records a tool step with its jobs before it queues them. A server stopped in between leaves new jobs:
    /// the next server queues those a step recorded and fails those none did (the step is made again), so no step
    /// runs twice and none is left waiting.
    /// </summary>
    [Fact]
    public async Task Jobs_a_step_recorded_before_its_server_stopped_run_under_the_next_and_unrecorded_ones_fail()
    {
        var (_, database) = GanymedeServer.OpenDataDirectory(_data, TestPostgres.UrlFor(_data));
        var (user, key) = new UserStore(database).Create("eve@example.org", isAdmin: false);
        var (first, http, client) = await StartAsync(key);
        string invocation, pause, data, recorded, unrecorded;
        try
        {
            var history = (await client.CreateHistoryAsync("stopped while scheduling")).Id;
            data = (await client.PasteAsync(history, "kept\n", "kept.txt")).Id;
            var workflow = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject
            {
                ["workflow"] = Ga("recorded", Step(0, "data_input"), Step(1, "pause", connections: [("input", "0/output")]),
                    Step(2, "tool", "cat1", connections: [("input1", "1/output")])),
            }));
            invocation = (await Json(await http.PostAsJsonAsync($"/api/workflows/{workflow["id"]}/invocations", new JsonObject
            {
                ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hda", ["id"] = data } }, ["history_id"] = history,
            })))["id"]!.ToString();
            pause = StepAt(await WaitAsync(http, invocation, i => StepAt(i, 1) is not null, "reaching the pause"), 1)!["id"]!.ToString();
            await first.StopAsync();

            // What a scheduler stopped at the wrong moment leaves: step 2 recorded with a new job, and a new job of no step.
            var services = first.Services;
            var ids = services.GetRequiredService<IdCodec>();
            var tool = services.GetRequiredService<Ganymede.Server.Jobs.ToolBox>().Find("cat1")!;
            long Decode(string id) => ids.TryDecode(id, out var n) ? n : throw new InvalidOperationException($"not an id: {id}");
            var historyRecord = services.GetRequiredService<HistoryStore>().Get(Decode(history))!;
            var values = new JsonObject { ["input1"] = new JsonObject { ["src"] = "hda", ["id"] = data } };
            var runs = services.GetRequiredService<Ganymede.Server.Jobs.ToolRuns>();
            var step = runs.Run(user, historyRecord, tool, values, _ => throw new InvalidOperationException("no collections here"), queue: false);
            var stray = runs.Run(user, historyRecord, tool, values, _ => throw new InvalidOperationException("no collections here"), queue: false);
            services.GetRequiredService<WorkflowStore>().AddStep(Decode(invocation), 2, "scheduled", step.Jobs.Select(j => j.Id), "{}", null);
            (recorded, unrecorded) = (ids.Encode(step.Jobs[0].Id), ids.Encode(stray.Jobs[0].Id));
        }
        finally
        {
            http.Dispose();
            client.Dispose();
            await first.DisposeAsync();
        }

        var (second, http2, client2) = await StartAsync(key);
        try
        {
            Assert.Equal("ok", (await client2.WaitForJobAsync(recorded, TimeSpan.FromMinutes(1))).State);
            var failed = await Json(await http2.GetAsync($"/api/jobs/{unrecorded}"));
            Assert.Equal(("error", "the server stopped while the job was being created"), (failed["state"]!.ToString(), failed["info"]?.ToString()));
            await Json(await http2.PutAsJsonAsync($"/api/invocations/{invocation}/steps/{pause}", new { action = true }));
            await WaitAsync(http2, invocation, i => i["state"]!.ToString() == "scheduled", "the end of scheduling");
            var jobs = (await http2.GetFromJsonAsync<JsonArray>($"/api/jobs?invocation_id={invocation}"))!;
            Assert.Equal([recorded], jobs.Select(j => j!["id"]!.ToString()));
        }
        finally
        {
            http2.Dispose();
            client2.Dispose();
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
