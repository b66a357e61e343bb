using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>
/// Workflows through Galaxy's API: each step runs when its inputs are ready, a pause waits for a person, a failed step
/// fails what depends on it while the rest finish, a cancel stops running jobs, and malformed workflows or
/// invocations are refused with the step at fault, leaving nothing scheduled.
/// </summary>
public sealed class WorkflowTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    /// <summary>A .ga step: its type, tool, state and connections (input name to "step/output").</summary>
    internal static JsonObject Step(int id, string type, string? tool = null, JsonObject? state = null, string? label = null, params (string Input, string From)[] connections) => new()
    {
        ["id"] = id, ["type"] = type, ["tool_id"] = tool, ["label"] = label, ["tool_state"] = (state ?? []).ToJsonString(),
        ["input_connections"] = new JsonObject(connections.Select(c => KeyValuePair.Create(c.Input, (JsonNode?)new JsonObject
        {
            ["id"] = int.Parse(c.From.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture), ["output_name"] = c.From.Split('/')[1],
        }))),
    };

    internal static JsonObject Ga(string name, params JsonObject[] steps) =>
        new() { ["a_galaxy_workflow"] = "true", ["format-version"] = "0.1", ["name"] = name, ["steps"] = new JsonObject(steps.Select(s => KeyValuePair.Create(s["id"]!.ToString(), (JsonNode?)s))) };

    internal static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>Polls the invocation until <paramref name="done"/> holds, with a deadline.</summary>
    internal static async Task<JsonObject> WaitAsync(HttpClient http, string invocation, Func<JsonObject, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var shown = await Json(await http.GetAsync($"/api/invocations/{invocation}"));
            if (done(shown)) return shown;
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen within 2 minutes: {shown.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    internal static JsonObject? StepAt(JsonObject invocation, int index) => invocation["steps"]!.AsArray().OfType<JsonObject>().FirstOrDefault(s => (int)s["order_index"]! == index);

    [Fact]
    public async Task Steps_run_as_their_inputs_finish_a_pause_waits_and_a_failed_step_fails_only_what_follows_it()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("workflow")).Id;
        var lines = await alice.PasteAsync(history, string.Concat(Enumerable.Range(1, 9).Select(i => $"line {i}\n")), "lines.txt");
        var ga = Ga("first lines, then more",
            Step(0, "data_input", label: "lines"),
            Step(1, "parameter_input", state: new JsonObject { ["parameter_type"] = "integer" }, label: "count"),
            Step(2, "tool", "Show beginning1", connections: [("input", "0/output"), ("lineNum", "1/output")]),
            Step(3, "pause", label: "look first", connections: [("input", "2/out_file1")]),
            Step(4, "tool", "cat1", connections: [("input1", "3/output"), ("queries_0|input2", "0/output")]),
            Step(5, "tool", "random_lines1", state: new JsonObject { ["num_lines"] = "-5" }, connections: [("input", "0/output")]),
            Step(6, "tool", "cat1", connections: [("input1", "5/out_file1")]));
        ga["steps"]!["4"]!["workflow_outputs"] = new JsonArray(new JsonObject { ["output_name"] = "out_file1", ["label"] = "first and all" });
        var workflow = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject { ["workflow"] = ga }));

        var invoked = await Json(await http.PostAsJsonAsync($"/api/workflows/{workflow["id"]}/invocations", new JsonObject
        {
            ["inputs"] = new JsonObject { ["lines"] = new JsonObject { ["src"] = "hda", ["id"] = lines.Id }, ["count"] = "2" },
            ["inputs_by"] = "name", ["history"] = $"hist_id={history}",
        }));
        Assert.Equal("new", invoked["state"]!.ToString());
        var paused = await WaitAsync(http, invoked["id"]!.ToString(), i => StepAt(i, 3) is not null, "reaching the pause");
        Assert.Equal(("ready", "ready"), (paused["state"]!.ToString(), StepAt(paused, 3)!["state"]!.ToString()));
        Assert.Null(StepAt(paused, 4));
        // The failed branch is already known: step 5's value is refused, and step 6, which reads it, fails with it.
        Assert.Equal("failed", StepAt(paused, 5)!["state"]!.ToString());
        Assert.Contains("num_lines", StepAt(paused, 5)!["info"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("step 5, which it reads, failed", StepAt(paused, 6)!["info"]!.ToString(), StringComparison.Ordinal);

        await Json(await http.PutAsJsonAsync($"/api/invocations/{invoked["id"]}/steps/{StepAt(paused, 3)!["id"]}", new { action = true }));
        var done = await WaitAsync(http, invoked["id"]!.ToString(), i => i["state"]!.ToString() is "failed" or "scheduled" or "cancelled", "the end of the invocation");
        Assert.Equal("failed", done["state"]!.ToString());
        Assert.Equal([5, 6], done["messages"]!.AsArray().Select(m => (int)m!["workflow_step_id"]!));
        var final = done["outputs"]!["first and all"]!["id"]!.ToString();
        Assert.Equal("ok", (await alice.WaitForDatasetAsync(final, TimeSpan.FromMinutes(1))).State);
        Assert.Equal("line 1\nline 2\n" + string.Concat(Enumerable.Range(1, 9).Select(i => $"line {i}\n")), await http.GetStringAsync($"/api/datasets/{final}/display"));

        // The jobs of the invocation, and Galaxy's summaries of them.
        var jobs = await http.GetFromJsonAsync<JsonArray>($"/api/jobs?invocation_id={invoked["id"]}");
        Assert.Equal(["Show beginning1", "cat1"], jobs!.Select(j => j!["tool_id"]!.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(2, (int)(await Json(await http.GetAsync($"/api/invocations/{invoked["id"]}/jobs_summary")))["states"]!["ok"]!);
    }

    [Fact]
    public async Task The_dotnet_client_imports_invokes_and_waits_for_a_workflow()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = (await alice.CreateHistoryAsync("from the client")).Id;
        var text = await alice.PasteAsync(history, "one\ntwo\nthree\n", "three.txt");
        var ga = Ga("first line twice", Step(0, "data_input", label: "text"),
            Step(1, "tool", "Show beginning1", state: new JsonObject { ["lineNum"] = "1" }, connections: [("input", "0/output")]),
            Step(2, "tool", "cat1", connections: [("input1", "1/out_file1"), ("queries_0|input2", "1/out_file1")]));
        ga["steps"]!["2"]!["workflow_outputs"] = new JsonArray(new JsonObject { ["output_name"] = "out_file1", ["label"] = "twice" });
        var workflow = await alice.ImportWorkflowAsync(ga);
        Assert.Equal(("first line twice", 3), (workflow.Name, workflow.NumberOfSteps));

        var invocation = await alice.InvokeWorkflowAsync(workflow.Id, history, new JsonObject { ["text"] = GanymedeClient.DatasetInput(text.Id) });
        var done = await alice.WaitForInvocationAsync(invocation.Id, TimeSpan.FromMinutes(2));
        Assert.Equal(["scheduled", "scheduled", "scheduled"], done.Steps.Select(s => s.State));
        var path = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N"));
        await alice.DownloadAsync(done.Outputs!["twice"].Id, path);
        Assert.Equal("one\none\n", await File.ReadAllTextAsync(path));
        using (var http = server.Http(server.AliceKey))
        {
            var provenance = await Json(await http.GetAsync($"/api/histories/{history}/contents/{done.Outputs["twice"].Id}/provenance"));
            Assert.Equal((invocation.Id, 2, "cat1"), (provenance["invocation_id"]!.ToString(), (int)provenance["workflow_step"]!, provenance["tool_id"]!.ToString()));
        }

        var failing = await alice.InvokeWorkflowAsync(workflow.Id, history, new JsonObject { ["text"] = GanymedeClient.DatasetInput(text.Id) },
            new JsonObject { ["1"] = new JsonObject { ["lineNum"] = "-3" } });
        var failed = await Assert.ThrowsAsync<InvocationFailedException>(() => alice.WaitForInvocationAsync(failing.Id, TimeSpan.FromMinutes(2)));
        Assert.Contains("step 1 (Show beginning1) failed", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_an_invocation_stops_its_running_job_and_schedules_nothing_more()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("cancelled workflow")).Id;
        var script = await alice.PasteAsync(history, "System.Threading.Thread.Sleep(120_000);", "slow.csx");
        var workflow = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject
        {
            ["workflow"] = Ga("slow", Step(0, "data_input", label: "script"), Step(1, "tool", "ganymede_run_script", connections: [("select_file", "0/output")]),
                Step(2, "tool", "cat1", connections: [("input1", "1/log")])),
        }));
        var invoked = await Json(await http.PostAsJsonAsync($"/api/workflows/{workflow["id"]}/invocations", new JsonObject
        {
            ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hda", ["id"] = script.Id } }, ["history_id"] = history,
        }));
        var running = await WaitAsync(http, invoked["id"]!.ToString(), i => StepAt(i, 1)?["job_id"] is not null, "starting the slow step");
        var job = StepAt(running, 1)!["job_id"]!.ToString();

        var cancelled = await Json(await http.DeleteAsync($"/api/invocations/{invoked["id"]}"));
        Assert.Equal("cancelled", cancelled["state"]!.ToString());
        Assert.Equal("deleted", (await alice.WaitForJobAsync(job, TimeSpan.FromMinutes(1), throwOnFailure: false)).State);
        Assert.Null(StepAt(await Json(await http.GetAsync($"/api/invocations/{invoked["id"]}")), 2));
    }

    [Fact]
    public async Task Malformed_workflows_and_invocations_are_refused_with_the_step_at_fault_and_nothing_is_scheduled()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        using var bob = server.Http(server.BobKey);
        foreach (var (ga, reason) in new (JsonObject, string)[]
        {
            (Ga("cycle", Step(0, "tool", "cat1", connections: [("input1", "1/out_file1")]), Step(1, "tool", "cat1", connections: [("input1", "0/out_file1")])), "depends on itself"),
            (Ga("dangling", Step(0, "data_input"), Step(1, "tool", "cat1", connections: [("input1", "7/output")])), "connected to step 7, which does not exist"),
            (Ga("gap", Step(0, "data_input"), Step(2, "data_input")), "numbered 0, 1, 2"),
            (Ga("odd", Step(0, "teleport")), "unknown step type 'teleport'"),
        })
        {
            var refused = await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject { ["workflow"] = ga });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(reason, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var history = (await alice.CreateHistoryAsync("refused")).Id;
        var data = await alice.PasteAsync(history, "x\n", "x.txt");
        var unknownTool = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject
        {
            ["workflow"] = Ga("missing tool", Step(0, "data_input"), Step(1, "tool", "no_such_tool", connections: [("input", "0/output")])),
        }));
        var good = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject
        {
            ["workflow"] = Ga("good", Step(0, "data_input"), Step(1, "tool", "cat1", connections: [("input1", "0/output")])),
        }));
        async Task Refused(HttpClient client, JsonObject workflow, JsonObject body, HttpStatusCode status, string reason)
        {
            var response = await client.PostAsJsonAsync($"/api/workflows/{workflow["id"]}/invocations", body);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        JsonObject Input(string id) => new() { ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hda", ["id"] = id } }, ["history_id"] = history };
        await Refused(http, unknownTool, Input(data.Id), HttpStatusCode.BadRequest, "step 1 uses tool 'no_such_tool', which this server does not have");
        await Refused(http, good, new JsonObject { ["history_id"] = history }, HttpStatusCode.BadRequest, "input step 0");
        await Refused(http, good, new JsonObject { ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hdca", ["id"] = data.Id } } }, HttpStatusCode.BadRequest, "takes a dataset (src hda)");
        // Bob may neither run Alice's workflow nor feed his own workflow her dataset.
        await Refused(bob, good, Input(data.Id), HttpStatusCode.Forbidden, "belongs to another user");
        var bobs = await Json(await bob.PostAsJsonAsync("/api/workflows/upload", new JsonObject
        {
            ["workflow"] = Ga("bob's", Step(0, "data_input"), Step(1, "tool", "cat1", connections: [("input1", "0/output")])),
        }));
        await Refused(bob, bobs, Input(data.Id), HttpStatusCode.Forbidden, "belongs to another user");
        Assert.Empty((await http.GetFromJsonAsync<JsonArray>($"/api/invocations?history_id={history}"))!);

        // Exported and imported again, a workflow is the same workflow.
        var exported = await Json(await http.GetAsync($"/api/workflows/download/{good["id"]}"));
        var again = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject { ["workflow"] = exported.DeepClone() }));
        var (first, second) = (await Json(await http.GetAsync($"/api/workflows/{good["id"]}")), await Json(await http.GetAsync($"/api/workflows/{again["id"]}")));
        Assert.True(JsonNode.DeepEquals(first["steps"], second["steps"]), $"{first["steps"]!.ToJsonString()} became {second["steps"]!.ToJsonString()}");
    }
}
