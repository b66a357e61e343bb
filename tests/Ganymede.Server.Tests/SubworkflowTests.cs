using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;
using static Ganymede.Server.Tests.WorkflowTests;

namespace Ganymede.Server.Tests;

/// <summary>
/// A subworkflow step runs its workflow as an invocation of its own, with the values given for its steps (Galaxy's
/// normalized parameters), and hands its labelled outputs to the steps after it; an invocation that leaves one of its
/// inputs without a value is refused, and export gives the nested workflow back.
/// </summary>
public sealed class SubworkflowTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static JsonObject Paste()
    {
        var paste = Ga("paste two files",
            Step(0, "data_input", label: "first"), Step(1, "data_input", label: "second"),
            Step(2, "parameter_input", state: new JsonObject { ["parameter_type"] = "text" }, label: "delimiter"),
            Step(3, "tool", "Paste1", connections: [("input1", "0/output"), ("input2", "1/output"), ("delimiter", "2/output")]));
        paste["steps"]!["3"]!["workflow_outputs"] = new JsonArray(new JsonObject { ["output_name"] = "out_file1", ["label"] = "pasted" });
        return paste;
    }

    [Fact]
    public async Task A_subworkflow_runs_with_its_values_and_feeds_the_steps_after_it()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("subworkflow")).Id;
        var left = await alice.PasteAsync(history, "a1\na2\n", "left.txt");
        var right = await alice.PasteAsync(history, "b1\nb2\n", "right.txt");
        var nested = Step(2, "subworkflow", label: "paste", connections: [("first", "0/output"), ("second", "1/output")]);
        nested["subworkflow"] = Paste();
        var ga = Ga("paste, then concatenate", Step(0, "data_input", label: "left"), Step(1, "data_input", label: "right"), nested,
            Step(3, "tool", "cat1", connections: [("input1", "2/pasted"), ("queries_0|input2", "2/pasted")]));
        ga["steps"]!["3"]!["workflow_outputs"] = new JsonArray(new JsonObject { ["output_name"] = "out_file1", ["label"] = "twice" });
        var workflow = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject { ["workflow"] = ga }));
        string id = workflow["id"]!.ToString();
        JsonObject Invocation(JsonObject? parameters, bool normalized) => new()
        {
            ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hda", ["id"] = left.Id }, ["1"] = new JsonObject { ["src"] = "hda", ["id"] = right.Id } },
            ["history_id"] = history, ["parameters"] = parameters, ["parameters_normalized"] = normalized,
        };

        // The delimiter has no value, or its value is not given by step: refused, nothing scheduled.
        foreach (var (body, reason) in new[]
        {
            (Invocation(null, true), "step 2 (a subworkflow): its input step 2 ('delimiter') has no value"),
            (Invocation(new JsonObject { ["2"] = new JsonObject { ["2|2"] = "C" } }, false), "give the values of its steps by their numbers, with parameters_normalized=true"),
            (Invocation(new JsonObject { ["2"] = new JsonObject { ["9"] = "C" } }, true), "step 2 (a subworkflow) has no step '9'"),
        })
        {
            var refused = await http.PostAsJsonAsync($"/api/workflows/{id}/invocations", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(reason, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Empty((await http.GetFromJsonAsync<JsonArray>($"/api/invocations?history_id={history}"))!);

        var invoked = await Json(await http.PostAsJsonAsync($"/api/workflows/{id}/invocations", Invocation(new JsonObject { ["2"] = new JsonObject { ["2|2"] = "C" } }, true)));
        var done = await alice.WaitForInvocationAsync(invoked["id"]!.ToString(), TimeSpan.FromMinutes(2));
        var path = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N"));
        await alice.DownloadAsync(done.Outputs!["twice"].Id, path);
        Assert.Equal("a1,b1\na2,b2\na1,b1\na2,b2\n", await File.ReadAllTextAsync(path));

        // The subworkflow's own invocation is linked from its step, and is not listed among the user's.
        var step = StepAt(await Json(await http.GetAsync($"/api/invocations/{invoked["id"]}")), 2)!;
        var child = await Json(await http.GetAsync($"/api/invocations/{step["subworkflow_invocation_id"]}"));
        Assert.Equal(("scheduled", 4), (child["state"]!.ToString(), child["steps"]!.AsArray().Count));
        Assert.Equal([invoked["id"]!.ToString()], (await http.GetFromJsonAsync<JsonArray>($"/api/invocations?history_id={history}"))!.Select(i => i!["id"]!.ToString()));

        // Exported and imported again, the nested workflow comes back whole.
        var exported = await Json(await http.GetAsync($"/api/workflows/download/{id}"));
        Assert.Equal("Paste1", exported["steps"]!["2"]!["subworkflow"]!["steps"]!["3"]!["tool_id"]!.ToString());
        var again = await Json(await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject { ["workflow"] = exported.DeepClone() }));
        var reexported = await Json(await http.GetAsync($"/api/workflows/download/{again["id"]}"));
        Assert.True(JsonNode.DeepEquals(exported["steps"], reexported["steps"]), $"{exported["steps"]!.ToJsonString()} became {reexported["steps"]!.ToJsonString()}");
    }

    [Fact]
    public async Task A_subworkflow_without_the_input_or_output_it_is_connected_by_is_refused_on_import()
    {
        using var http = server.Http(server.AliceKey);
        var nested = Step(1, "subworkflow", connections: [("third", "0/output")]);
        nested["subworkflow"] = Paste();
        var noInput = await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject { ["workflow"] = Ga("bad", Step(0, "data_input"), nested) });
        Assert.Contains("step 1: the subworkflow has no input step 'third'", await noInput.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        nested = Step(1, "subworkflow", connections: [("first", "0/output")]);
        nested["subworkflow"] = Paste();
        var noOutput = await http.PostAsJsonAsync("/api/workflows/upload", new JsonObject
        {
            ["workflow"] = Ga("bad", Step(0, "data_input"), nested, Step(2, "tool", "cat1", connections: [("input1", "1/glued")])),
        });
        Assert.Contains("step 2: input 'input1' reads 'glued' of the subworkflow at step 1, which labels no such output", await noOutput.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
