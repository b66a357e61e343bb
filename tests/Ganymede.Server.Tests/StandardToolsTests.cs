using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;
using Ganymede.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Ganymede.Server.Tests;

/// <summary>
/// Galaxy's small text tools (cat1, random_lines1, Show beginning1), their forms on a server that offers no resource
/// requests, job filters by date, and the administrators' job lock.
/// </summary>
public sealed class StandardToolsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<string> TextAsync(GanymedeClient client, string datasetId)
    {
        var path = Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N"));
        await client.DownloadAsync(datasetId, path);
        return await File.ReadAllTextAsync(path);
    }

    private static async Task<string> RunAsync(GanymedeClient client, string history, string tool, JsonObject inputs)
    {
        var run = await client.RunToolAsync(history, tool, inputs);
        await client.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(1));
        return run.Outputs[0].Id;
    }

    [Fact]
    public async Task Concatenate_select_random_lines_and_show_beginning_give_what_galaxys_do()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = (await alice.CreateHistoryAsync("text tools")).Id;
        var lines = string.Concat(Enumerable.Range(1, 20).Select(i => $"line {i}\n"));
        var a = await alice.PasteAsync(history, lines, "lines.txt");
        var b = await alice.PasteAsync(history, "the end\n", "end.txt");
        await alice.WaitForDatasetAsync(b.Id, TimeSpan.FromMinutes(1));

        var both = await RunAsync(alice, history, "cat1", new JsonObject
        {
            ["input1"] = GanymedeClient.DatasetInput(a.Id), ["queries_0|input2"] = GanymedeClient.DatasetInput(b.Id),
        });
        Assert.Equal(lines + "the end\n", await TextAsync(alice, both));

        JsonObject Seeded(string seed) => new()
        {
            ["num_lines"] = "5", ["input"] = GanymedeClient.DatasetInput(a.Id),
            ["seed_source"] = new JsonObject { ["seed_source_selector"] = "set_seed", ["seed"] = seed },
        };
        var chosen = await RunAsync(alice, history, "random_lines1", Seeded("asdf"));
        var first = (await TextAsync(alice, chosen)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var again = (await TextAsync(alice, await RunAsync(alice, history, "random_lines1", Seeded("asdf")))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, first.Length);
        Assert.Equal(first, again);
        var numbers = first.Select(l => int.Parse(l["line ".Length..])).ToList();
        Assert.Equal(numbers.Order(), numbers); // in the file's order
        Assert.All(numbers, n => Assert.InRange(n, 1, 20));

        var head = await RunAsync(alice, history, "Show beginning1", new JsonObject { ["lineNum"] = "3", ["input"] = GanymedeClient.DatasetInput(a.Id) });
        Assert.Equal("line 1\nline 2\nline 3\n", await TextAsync(alice, head));

        // Galaxy's date range: today's jobs are found from today on, none up to yesterday.
        using var http = server.Http(server.AliceKey);

        // Provenance: the job that made the lines, its parameters as JSON text, and its input, followed back to the paste.
        var provenance = (await http.GetFromJsonAsync<JsonObject>($"/api/histories/{history}/contents/{chosen}/provenance?follow=true"))!;
        Assert.Equal(("random_lines1", "5"), (provenance["tool_id"]!.ToString(), provenance["parameters"]!["num_lines"]!.ToString()));
        Assert.Equal(a.Id, provenance["parameters"]!["input"]!["id"]!.ToString());
        Assert.Equal("upload1", provenance["parameters"]!["input"]!["tool_id"]!.ToString());
        var shallow = (await http.GetFromJsonAsync<JsonObject>($"/api/histories/{history}/contents/{chosen}/provenance"))!;
        Assert.Equal(["id", "uuid"], shallow["parameters"]!["input"]!.AsObject().Select(p => p.Key).Order());
        using (var bob = server.Http(server.BobKey))
            Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/histories/{history}/contents/{chosen}/provenance")).StatusCode);
        string today = DateTime.UtcNow.ToString("yyyy-MM-dd"), yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd");
        Assert.Equal(4, (await http.GetFromJsonAsync<JsonArray>($"/api/jobs?history_id={history}&tool_id=cat1,random_lines1,Show%20beginning1&date_range_min={today}"))!.Count);
        Assert.Empty((await http.GetFromJsonAsync<JsonArray>($"/api/jobs?history_id={history}&date_range_max={yesterday}"))!);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/jobs?date_range_min=yesterday")).StatusCode);
    }

    [Fact]
    public async Task Without_resource_maxima_a_form_has_no_resource_section_and_a_request_is_refused()
    {
        using var http = server.Http(server.AliceKey);
        var model = (await http.GetFromJsonAsync<JsonObject>("/api/tools/random_lines1?io_details=true"))!;
        Assert.Equal(["num_lines", "input", "seed_source"], model["inputs"]!.AsArray().Select(i => i!["name"]!.ToString()));

        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = (await alice.CreateHistoryAsync("no requests")).Id;
        var text = await alice.PasteAsync(history, "x\n", "x.txt");
        var response = await http.PostAsJsonAsync("/api/tools", new JsonObject
        {
            ["history_id"] = history, ["tool_id"] = "cat1",
            ["inputs"] = new JsonObject { ["input1"] = GanymedeClient.DatasetInput(text.Id), ["__job_resource|__job_resource__select"] = "yes", ["__job_resource|cores"] = 1 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("this server takes no job resource requests: every job gets its tool's defaults (the administrator offers them with serve --job-resource-max)",
            (await response.Content.ReadFromJsonAsync<JsonObject>())!["err_msg"]!.ToString());
        Assert.Equal([text.Id], (await alice.ListContentsAsync(history)).Select(d => d.Id));
    }

    [Fact]
    public async Task The_job_lock_holds_queued_jobs_until_an_administrator_lifts_it()
    {
        var adminKey = server.Services.GetRequiredService<UserStore>().Create($"lock-{Guid.NewGuid():N}@example.org", isAdmin: true).ApiKey;
        using var admin = server.Http(adminKey);
        using var bob = server.Http(server.BobKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PutAsJsonAsync("/api/job_lock", new { active = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/api/job_lock")).StatusCode);

        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = (await alice.CreateHistoryAsync("locked")).Id;
        var text = await alice.PasteAsync(history, "x\n", "x.txt");
        await alice.WaitForDatasetAsync(text.Id, TimeSpan.FromMinutes(1));
        Assert.True((await (await admin.PutAsJsonAsync("/api/job_lock", new { active = true })).Content.ReadFromJsonAsync<JsonObject>())!["active"]!.GetValue<bool>());
        try
        {
            var run = await alice.RunToolAsync(history, "cat1", new JsonObject { ["input1"] = GanymedeClient.DatasetInput(text.Id) });
            // The loop looks at the queue every quarter second: after several looks, the job still waits.
            var until = DateTime.UtcNow.AddSeconds(2);
            while (DateTime.UtcNow < until) Assert.Equal("queued", (await alice.GetJobAsync(run.Jobs[0].Id)).State);
            Assert.True((await admin.GetFromJsonAsync<JsonObject>("/api/job_lock"))!["active"]!.GetValue<bool>());
            await admin.PutAsJsonAsync("/api/job_lock", new { active = false });
            Assert.Equal("ok", (await alice.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(1))).State);
        }
        finally
        {
            await admin.PutAsJsonAsync("/api/job_lock", new { active = false });
        }
    }
}
