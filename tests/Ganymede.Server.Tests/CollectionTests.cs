using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;

namespace Ganymede.Server.Tests;

/// <summary>Dataset collections: nested ones built and downloaded as Galaxy lays them out, malformed ones refused with the reason.</summary>
public sealed class CollectionTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static JsonObject Hda(string name, string id) => new() { ["name"] = name, ["src"] = "hda", ["id"] = id };

    private static JsonObject Collection(string type, params JsonNode[] elements) =>
        new() { ["type"] = "dataset_collection", ["name"] = "samples", ["collection_type"] = type, ["element_identifiers"] = new JsonArray(elements) };

    [Fact]
    public async Task A_list_of_pairs_is_built_and_downloaded_and_malformed_ones_are_refused()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("pairs")).Id;
        var reads = new List<string>();
        foreach (var text in new[] { "a1\n", "a2\n", "b1\n", "b2\n" }) reads.Add((await alice.PasteAsync(history, text, text.Trim() + ".txt")).Id);
        JsonObject Pair(string name, string forward, string reverse) => new()
        {
            ["name"] = name, ["src"] = "new_collection", ["collection_type"] = "paired", ["element_identifiers"] = new JsonArray(Hda("forward", forward), Hda("reverse", reverse)),
        };

        var made = await http.PostAsJsonAsync($"/api/histories/{history}/contents", Collection("list:paired", Pair("a", reads[0], reads[1]), Pair("b", reads[2], reads[3])));
        Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync());
        var collection = (await made.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((5L, 2), ((long)collection["hid"]!, collection["elements"]!.AsArray().Count));
        Assert.Equal(reads[3], collection["elements"]![1]!["object"]!["elements"]![1]!["object"]!["id"]!.ToString());

        using var zip = new ZipArchive(await http.GetStreamAsync($"/api/dataset_collections/{collection["id"]}/download"));
        var files = zip.Entries.ToDictionary(e => e.FullName, e => new StreamReader(e.Open()).ReadToEnd());
        Assert.Equal(new Dictionary<string, string>
        {
            ["samples/a/forward.txt"] = "a1\n", ["samples/a/reverse.txt"] = "a2\n", ["samples/b/forward.txt"] = "b1\n", ["samples/b/reverse.txt"] = "b2\n",
        }, files);

        foreach (var (body, reason) in new (JsonObject, string)[]
        {
            (Collection("paired", Hda("left", reads[0]), Hda("right", reads[1])), "a pair has two elements, named forward and reverse"),
            (Collection("list", Hda("x", reads[0]), Hda("x", reads[1])), "two elements are named 'x'"),
            (Collection("list:paired", Hda("a", reads[0])), "a list:paired holds paired collections"),
            (Collection("list:list", Pair("a", reads[0], reads[1])), "element 'a' is a paired, but this list:list needs a list there"),
            (Collection("tree", Hda("a", reads[0])), "collection type 'tree'"),
            (Collection("list", new JsonObject { ["name"] = "a", ["src"] = "url", ["id"] = "x" }), "src 'url' is not supported"),
            (Collection("list", Hda("a/b", reads[0])), "without '/'"),
        })
        {
            var refused = await http.PostAsJsonAsync($"/api/histories/{history}/contents", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(reason, (await refused.Content.ReadFromJsonAsync<JsonObject>())!["err_msg"]!.ToString(), StringComparison.Ordinal);
        }
        Assert.Single((await http.GetFromJsonAsync<JsonArray>($"/api/histories/{history}/contents?types=dataset_collection"))!);

        // A copy into another history: the same structure over copies of the datasets, hidden there; the original stays.
        var other = (await alice.CreateHistoryAsync("pairs, copied")).Id;
        var copied = await http.PostAsJsonAsync($"/api/histories/{other}/contents", new { type = "dataset_collection", source = "hdca", content = collection["id"]!.ToString() });
        Assert.True(copied.IsSuccessStatusCode, await copied.Content.ReadAsStringAsync());
        var copy = (await copied.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(("samples", other), (copy["name"]!.ToString(), copy["history_id"]!.ToString()));
        var reverse = copy["elements"]![1]!["object"]!["elements"]![1]!["object"]!["id"]!.ToString();
        Assert.NotEqual(reads[3], reverse);
        Assert.Equal("b2\n", await http.GetStringAsync($"/api/datasets/{reverse}/display"));
        var visible = await http.GetFromJsonAsync<JsonArray>($"/api/histories/{other}/contents?visible=true");
        Assert.Equal(["samples"], visible!.Select(i => i!["name"]!.ToString()));
        using var bob = server.Http(server.BobKey);
        var bobs = (await (await bob.PostAsJsonAsync("/api/histories", new { name = "bob's" })).Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsJsonAsync($"/api/histories/{bobs}/contents", new { type = "dataset_collection", source = "hdca", content = collection["id"]!.ToString() })).StatusCode);
    }

    [Fact]
    public async Task A_tool_given_a_collection_reads_all_of_it_or_runs_once_per_element()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var http = server.Http(server.AliceKey);
        var history = (await alice.CreateHistoryAsync("a tool over a collection")).Id;
        var parts = new List<JsonNode>();
        foreach (var (name, text) in new[] { ("s1", "1\n2\n"), ("s2", "3\n4\n"), ("s3", "5\n6\n") })
            parts.Add(Hda(name, (await alice.WaitForDatasetAsync((await alice.PasteAsync(history, text, name + ".txt")).Id, TimeSpan.FromMinutes(1))).Id));
        var list = await (await http.PostAsJsonAsync($"/api/histories/{history}/contents", Collection("list", [.. parts]))).Content.ReadFromJsonAsync<JsonObject>();
        var whole = new JsonObject { ["values"] = new JsonArray(new JsonObject { ["src"] = "hdca", ["id"] = list!["id"]!.ToString() }) };

        async Task<JsonObject> Run(string tool, JsonObject inputs)
        {
            var response = await http.PostAsJsonAsync("/api/tools", new JsonObject { ["tool_id"] = tool, ["history_id"] = history, ["inputs"] = inputs });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        }
        async Task<string> Text(string dataset)
        {
            await alice.WaitForDatasetAsync(dataset, TimeSpan.FromMinutes(1));
            return await http.GetStringAsync($"/api/datasets/{dataset}/display");
        }

        // An input that takes several datasets reads the collection's, in order, in one job.
        var concatenated = await Run("cat1", new JsonObject { ["input1"] = whole.DeepClone() });
        Assert.Single(concatenated["jobs"]!.AsArray());
        Assert.Equal("1\n2\n3\n4\n5\n6\n", await Text(concatenated["outputs"]![0]!["id"]!.ToString()));

        // An input that takes one: a job per element, their outputs gathered in a collection with the elements' names.
        var mapped = await Run("Show beginning1", new JsonObject { ["input"] = whole.DeepClone(), ["lineNum"] = "1" });
        Assert.Equal(3, mapped["jobs"]!.AsArray().Count);
        var gathered = mapped["implicit_collections"]![0]!;
        Assert.Equal("out_file1", gathered["output_name"]!.ToString());
        Assert.Equal(["s1", "s2", "s3"], gathered["elements"]!.AsArray().Select(e => e!["element_identifier"]!.ToString()));
        var firsts = new List<string>();
        foreach (var element in gathered["elements"]!.AsArray()) firsts.Add(await Text(element!["object"]!["id"]!.ToString()));
        Assert.Equal(["1\n", "3\n", "5\n"], firsts);
    }
}
