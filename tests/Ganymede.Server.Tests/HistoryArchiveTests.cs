using System.Formats.Tar;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Ganymede.Client;
using Ganymede.Formats.Hdf5;
using Ganymede.Onnx.Proto;
using Google.Protobuf;

namespace Ganymede.Server.Tests;

/// <summary>
/// Histories exported to Galaxy's history archive and imported again: the datasets keep their bytes, types and
/// metadata, the jobs between them survive, and a hostile archive is refused or defused without harm.
/// </summary>
public sealed class HistoryArchiveTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private string NewPath(string name) => Path.Combine(server.DataDirectory, Guid.NewGuid().ToString("N") + "-" + name);

    private static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    /// <summary>A model of one Add node: small, but a real ONNX file with inputs and outputs to describe.</summary>
    private string WriteModel()
    {
        var graph = new GraphProto { Name = "add" };
        graph.Node.Add(new NodeProto { OpType = "Add", Input = { "x", "w" }, Output = { "y" } });
        graph.Initializer.Add(new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 4 }, RawData = ByteString.CopyFrom(new byte[16]) });
        ValueInfoProto Value(string name) => new()
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 4 } } } } },
        };
        graph.Input.Add(Value("x"));
        graph.Output.Add(Value("y"));
        var path = NewPath("model.onnx");
        File.WriteAllBytes(path, new ModelProto { IrVersion = 8, ProducerName = "test", Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 13 } } }.ToByteArray());
        return path;
    }

    private string WriteH5()
    {
        var path = NewPath("slices.h5");
        using var f = H5File.Create(path);
        f.CreateDataset<float>("X_test", Enumerable.Range(0, 8).Select(i => i * 0.5f).ToArray(), [2, 2, 2]).Dispose();
        f.Commit();
        return path;
    }

    private async Task<string> ExportAsync(HttpClient http, string history)
    {
        // 202 while it is written, then 200 with where to download it: polled with a deadline, as BioBlend does.
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            using var response = await http.PutAsync($"/api/histories/{history}/exports?gzip=True", null);
            var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            if (response.StatusCode == HttpStatusCode.OK) return body["download_url"]!.ToString();
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, "the export did not finish within a minute");
            await Task.Delay(100);
        }
    }

    private static async Task<JsonNode> ImportAsync(HttpClient http, byte[] archive)
    {
        using var form = new MultipartFormDataContent { { new StringContent("file"), "archive_type" }, { new ByteArrayContent(archive), "archive_file", "history.tar.gz" } };
        return await Json(await http.PostAsync("/api/histories", form));
    }

    [Fact]
    public async Task A_history_with_a_model_a_dataset_file_and_a_job_survives_export_and_import()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        using var aliceHttp = server.Http(server.AliceKey);
        using var bobHttp = server.Http(server.BobKey);
        var history = (await alice.CreateHistoryAsync("covid ct, run 2")).Id;
        await Json(await aliceHttp.PutAsJsonAsync($"/api/histories/{history}", new { annotation = "the second run", tags = new[] { "covid", "name:ct" } }));
        var model = await alice.WaitForDatasetAsync((await alice.UploadAsync(history, WriteModel(), "unet.onnx")).Id, TimeSpan.FromMinutes(1));
        var h5 = await alice.WaitForDatasetAsync((await alice.UploadAsync(history, WriteH5(), "slices.h5")).Id, TimeSpan.FromMinutes(1));
        await Json(await aliceHttp.PutAsJsonAsync($"/api/histories/{history}/contents/{h5.Id}", new { annotation = "test slices", tags = new[] { "name:test" } }));
        var notes = await alice.PasteAsync(history, "first\n", "notes.txt");
        var more = await alice.PasteAsync(history, "second\n", "more.txt");
        var run = await alice.RunToolAsync(history, "cat1", new JsonObject { ["input1"] = GanymedeClient.DatasetInput(notes.Id), ["queries_0|input2"] = GanymedeClient.DatasetInput(more.Id) });
        Assert.Equal("ok", (await alice.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(1))).State);
        var hidden = await alice.PasteAsync(history, "not exported\n", "hidden.txt");
        await Json(await aliceHttp.PutAsJsonAsync($"/api/histories/{history}/contents/{hidden.Id}", new { visible = false }));
        await Json(await aliceHttp.PostAsJsonAsync($"/api/histories/{history}/contents", new
        {
            type = "dataset_collection", name = "notes pair", collection_type = "paired",
            element_identifiers = new[] { new { name = "forward", src = "hda", id = notes.Id }, new { name = "reverse", src = "hda", id = more.Id } },
        }));

        var url = await ExportAsync(aliceHttp, history);
        Assert.Equal(url, await ExportAsync(aliceHttp, history)); // unchanged: the same archive
        Assert.Equal(HttpStatusCode.Forbidden, (await bobHttp.GetAsync(url)).StatusCode);
        var archive = await aliceHttp.GetByteArrayAsync(url);

        // Bob imports Alice's archive (she sent it to him) into a history of his own.
        var imported = await ImportAsync(bobHttp, archive);
        Assert.Equal(("covid ct, run 2", "the second run"), (imported["name"]!.ToString(), imported["annotation"]!.ToString()));
        Assert.Equal(["covid", "name:ct"], imported["tags"]!.AsArray().Select(t => t!.ToString()));
        var contents = (await Json(await bobHttp.GetAsync($"/api/histories/{imported["id"]}/contents"))).AsArray();
        Assert.Equal(["unet.onnx", "slices.h5", "notes.txt", "more.txt", "Concatenated datasets", "notes pair"], contents.Select(c => c!["name"]!.ToString()));

        async Task<JsonNode> Show(HttpClient http, string id) => await Json(await http.GetAsync($"/api/datasets/{id}"));
        foreach (var (original, copy) in new[] { model.Id, h5.Id, notes.Id, more.Id, run.Outputs[0].Id }.Zip(contents.Select(c => c!["id"]!.ToString())))
        {
            var (before, after) = (await Show(aliceHttp, original), await Show(bobHttp, copy));
            foreach (var key in new[] { "extension", "file_size", "metadata", "peek", "state", "annotation", "tags", "genome_build" })
                Assert.True(JsonNode.DeepEquals(before[key], after[key]), $"{before["name"]}: {key} was {before[key]?.ToJsonString()}, is {after[key]?.ToJsonString()}");
            Assert.Equal(before["hashes"]![0]!["hash_value"]!.ToString(), after["hashes"]![0]!["hash_value"]!.ToString());
        }
        Assert.Equal("onnx", contents[0]!["extension"]!.ToString());
        Assert.Contains("\"x\"", (await Show(bobHttp, contents[0]!["id"]!.ToString()))["metadata"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("X_test", (await Show(bobHttp, contents[1]!["id"]!.ToString()))["peek"]!.ToString(), StringComparison.Ordinal);

        var pair = await Json(await bobHttp.GetAsync($"/api/histories/{imported["id"]}/contents/dataset_collections/{contents[5]!["id"]}"));
        Assert.Equal(("paired", contents[2]!["id"]!.ToString(), contents[3]!["id"]!.ToString()),
            (pair["collection_type"]!.ToString(), pair["elements"]![0]!["object"]!["id"]!.ToString(), pair["elements"]![1]!["object"]!["id"]!.ToString()));

        // The concatenation's job came along: its inputs are the imported datasets.
        var provenance = await Json(await bobHttp.GetAsync($"/api/histories/{imported["id"]}/contents/{contents[4]!["id"]}/provenance"));
        Assert.Equal("cat1", provenance["tool_id"]!.ToString());
        Assert.Equal((contents[2]!["id"]!.ToString(), contents[3]!["id"]!.ToString()),
            (provenance["parameters"]!["input1"]!["id"]!.ToString(), provenance["parameters"]!["input2"]!["id"]!.ToString()));
    }

    [Fact]
    public async Task A_hostile_archive_is_refused_or_defused_and_the_server_carries_on()
    {
        using var bob = server.Http(server.BobKey);
        var refused = await bob.PostAsync("/api/histories", new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("not a tar file at all")), "archive_file", "x.tar" } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("not a readable history archive", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Names that climb out, a link, and attributes naming a file outside the archive: only the one honest file is imported.
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            void Add(string name, string text) => tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            Add("history_attrs.txt", """{"name": "hostile"}""");
            Add("datasets_attrs.txt", """
                [{"name": "honest", "hid": 1, "file_name": "datasets/honest_1.txt", "extension": "txt", "encoded_id": "a"},
                 {"name": "passwd", "hid": 2, "file_name": "../../../etc/passwd", "extension": "txt", "encoded_id": "b"},
                 {"name": "climbed", "hid": 3, "file_name": "datasets/../../escape.txt", "extension": "txt", "encoded_id": "c"}]
                """);
            // A job that read its own output would make provenance endless.
            Add("jobs_attrs.txt", """[{"tool_id": "cat1", "params": "not an object", "output_dataset_mapping": {"out": ["a"]}, "input_dataset_mapping": {"in": ["a", "zz"]}}]""");
            Add("datasets/honest_1.txt", "honest\n");
            Add("../../escape.txt", "escaped\n");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "datasets/link.txt") { LinkName = "/etc/passwd" });
        }
        var imported = await ImportAsync(bob, buffer.ToArray());
        var contents = (await Json(await bob.GetAsync($"/api/histories/{imported["id"]}/contents"))).AsArray();
        Assert.Equal(["honest"], contents.Select(c => c!["name"]!.ToString()));
        Assert.Equal("honest\n", await bob.GetStringAsync($"/api/datasets/{contents[0]!["id"]}/display"));
        Assert.False(File.Exists(Path.Combine(server.DataDirectory, "..", "escape.txt")));
        var provenance = await Json(await bob.GetAsync($"/api/histories/{imported["id"]}/contents/{contents[0]!["id"]}/provenance?follow=true"));
        Assert.Equal("cat1", provenance["tool_id"]!.ToString());
        Assert.Empty(provenance["parameters"]!.AsObject());
        Assert.Equal("ganymede", (await Json(await bob.GetAsync("/api/version")))["extra"]!["server"]!.ToString());
    }
}
