using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>What a user says about a dataset (annotation, genome build, information, type), and jobs found again and rerun from their values.</summary>
public sealed class DatasetApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task A_datasets_annotation_genome_build_and_type_change_and_the_type_is_detected_again()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("describe")).Id;
        var upload = await Json(await http.PostAsJsonAsync("/api/tools", new JsonObject
        {
            ["history_id"] = history, ["tool_id"] = "upload1",
            ["inputs"] = new JsonObject { ["files_0|NAME"] = "scores", ["file_type"] = "txt", ["dbkey"] = "hg19", ["files_0|url_paste"] = "slice\tdice\n1\t0.75\n" },
        }));
        string id = upload["outputs"]![0]!["id"]!.ToString();
        var shown = await Json(await http.GetAsync($"/api/datasets/{id}"));
        Assert.Equal(("txt", "hg19"), (shown["extension"]!.ToString(), shown["genome_build"]!.ToString()));

        var updated = await Json(await http.PutAsJsonAsync($"/api/histories/{history}/contents/{id}",
            new { annotation = "dice per slice", genome_build = "covid-ct", misc_info = "from run 2", datatype = "tabular", tags = new[] { "name:run2", "dice", "dice" } }));
        Assert.Equal(["name:run2", "dice"], updated["tags"]!.AsArray().Select(t => t!.ToString()));
        Assert.Equal(("dice per slice", "covid-ct", "from run 2", "tabular"),
            (updated["annotation"]!.ToString(), updated["genome_build"]!.ToString(), updated["misc_info"]!.ToString(), updated["extension"]!.ToString()));
        Assert.Equal("slice\tdice\n1\t0.75\n", await http.GetStringAsync($"/api/datasets/{id}/display"));
        Assert.Empty((await http.GetFromJsonAsync<JsonArray>($"/api/histories/{history}/contents/{id}/extra_files"))!);

        foreach (var (body, reason) in new (object, string)[] { (new { datatype = "bed" }, "unknown datatype 'bed'"), (new { genome_build = "has spaces" }, "genome build 'has spaces'") })
        {
            var refused = await http.PutAsJsonAsync($"/api/histories/{history}/contents/{id}", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(reason, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/api/datasets?history_id={history}&q=state&qv=finished")).StatusCode);
    }

    [Fact]
    public async Task A_job_is_found_by_its_values_and_rerun_from_them_to_the_same_result()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("rerun")).Id;
        var lines = await alice.PasteAsync(history, string.Concat(Enumerable.Range(1, 30).Select(i => $"line {i}\n")), "lines.txt");
        var inputs = new JsonObject
        {
            ["num_lines"] = "4", ["input"] = GanymedeClient.DatasetInput(lines.Id),
            ["seed_source"] = new JsonObject { ["seed_source_selector"] = "set_seed", ["seed"] = "asdf" },
        };
        var run = await alice.RunToolAsync(history, "random_lines1", inputs);
        Assert.Equal("ok", (await alice.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(1))).State);

        var found = (await http.PostAsJsonAsync("/api/jobs/search", new JsonObject { ["tool_id"] = "random_lines1", ["inputs"] = inputs.DeepClone() }));
        Assert.Equal([run.Jobs[0].Id], (await found.Content.ReadFromJsonAsync<JsonArray>())!.Select(j => j!["id"]!.ToString()));
        var other = inputs.DeepClone().AsObject();
        other["seed_source"]!["seed"] = "another";
        Assert.Empty((await (await http.PostAsJsonAsync("/api/jobs/search", new JsonObject { ["tool_id"] = "random_lines1", ["inputs"] = other })).Content.ReadFromJsonAsync<JsonArray>())!);

        var rerun = await Json(await http.GetAsync($"/api/jobs/{run.Jobs[0].Id}/build_for_rerun"));
        Assert.Equal("random_lines1", rerun["id"]!.ToString());
        var again = await Json(await http.PostAsJsonAsync("/api/tools", new JsonObject
        {
            ["history_id"] = rerun["history_id"]!.ToString(), ["tool_id"] = "random_lines1", ["inputs"] = rerun["state_inputs"]!.DeepClone(), ["input_format"] = "21.01",
        }));
        Assert.Equal("ok", (await alice.WaitForJobAsync(again["jobs"]![0]!["id"]!.ToString(), TimeSpan.FromMinutes(1))).State);
        var first = await http.GetStringAsync($"/api/datasets/{run.Outputs[0].Id}/display");
        Assert.Equal(4, first.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(first, await http.GetStringAsync($"/api/datasets/{again["outputs"]![0]!["id"]}/display"));
        Assert.Equal(new JsonObject { ["has_empty_inputs"] = false, ["has_duplicate_inputs"] = false }.ToJsonString(),
            (await Json(await http.GetAsync($"/api/jobs/{run.Jobs[0].Id}/common_problems"))).ToJsonString());
    }

    [Fact]
    public async Task A_historys_contents_come_in_pages_and_an_unchanged_list_is_not_sent_again()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("paged")).Id;
        for (int i = 1; i <= 5; i++) await alice.PasteAsync(history, $"line {i}\n", $"part{i}.txt");
        var page = await http.GetFromJsonAsync<JsonArray>($"/api/histories/{history}/contents?offset=1&limit=2");
        Assert.Equal(["part2.txt", "part3.txt"], page!.Select(d => d!["name"]!.ToString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/api/histories/{history}/contents?limit=-1")).StatusCode);

        var first = await http.GetAsync($"/api/histories/{history}/contents?limit=2");
        var etag = first.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/histories/{history}/contents?limit=2") { Headers = { IfNoneMatch = { etag } } };
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);
        await Json(await http.PutAsJsonAsync($"/api/histories/{history}/contents/{page![0]!["id"]}", new { name = "renamed.txt" }));
        using var changed = new HttpRequestMessage(HttpMethod.Get, $"/api/histories/{history}/contents?limit=2") { Headers = { IfNoneMatch = { etag } } };
        var response = await http.SendAsync(changed);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(etag, response.Headers.ETag);
        // The owner's listing is kept while the history is unchanged (ContentsCache): the change shows at once.
        Assert.Equal(["part1.txt", "renamed.txt"], (await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(d => d!["name"]!.ToString()));
    }

    [Fact]
    public async Task A_client_that_accepts_gzip_gets_the_same_contents_compressed()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("compressed")).Id;
        for (int i = 1; i <= 8; i++) await alice.PasteAsync(history, $"line {i}\n", $"part{i}.txt");
        var plain = await http.GetAsync($"/api/histories/{history}/contents");
        var plainBytes = await plain.Content.ReadAsByteArrayAsync();
        Assert.Empty(plain.Content.Headers.ContentEncoding);

        HttpRequestMessage Gzip(string query) => new(HttpMethod.Get, $"/api/histories/{history}/contents{query}") { Headers = { { "Accept-Encoding", "gzip, deflate" } } };
        using var compressed = await http.SendAsync(Gzip(""));
        Assert.Equal(["gzip"], compressed.Content.Headers.ContentEncoding);
        var packed = await compressed.Content.ReadAsByteArrayAsync();
        Assert.True(packed.Length < plainBytes.Length / 3, $"{packed.Length} of {plainBytes.Length} bytes");
        using (var unpacked = new MemoryStream())
        {
            using (var gzip = new GZipStream(new MemoryStream(packed), CompressionMode.Decompress)) gzip.CopyTo(unpacked);
            Assert.Equal(plainBytes, unpacked.ToArray());
        }
        Assert.NotEqual(plain.Headers.ETag, compressed.Headers.ETag);
        using var again = Gzip("");
        again.Headers.IfNoneMatch.Add(compressed.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again)).StatusCode);
        // One dataset's summary is smaller than a packet: it is sent as it is.
        using var small = await http.SendAsync(Gzip("?limit=1"));
        Assert.Empty(small.Content.Headers.ContentEncoding);
        Assert.Single((await small.Content.ReadFromJsonAsync<JsonArray>())!);
    }
}
