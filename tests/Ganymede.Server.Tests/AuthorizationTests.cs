using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Ganymede.Server.Tests;

/// <summary>Every endpoint that takes an id, called by a user who does not own it (403), and by nobody (403).</summary>
public sealed class AuthorizationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient As(string? key)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        if (key is not null) http.DefaultRequestHeaders.Add("x-api-key", key);
        return http;
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task Another_users_histories_datasets_jobs_and_uploads_are_out_of_reach()
    {
        using var alice = As(server.AliceKey);
        using var bob = As(server.BobKey);
        string h = (await Json(await alice.PostAsJsonAsync("/api/histories", new { name = "alice's" })))["id"]!.ToString();
        var pasted = await Json(await alice.PostAsJsonAsync("/api/tools", new JsonObject
        {
            ["history_id"] = h, ["tool_id"] = "upload1", ["inputs"] = new JsonObject { ["files_0|NAME"] = "s.csx" }, ["files_0|url_paste"] = "Console.WriteLine(1);",
        }));
        string d = pasted["outputs"]![0]!["id"]!.ToString();
        var run = await Json(await alice.PostAsJsonAsync("/api/tools", new JsonObject
        {
            ["history_id"] = h, ["tool_id"] = "ganymede_run_script", ["inputs"] = new JsonObject { ["select_file"] = new JsonObject { ["src"] = "hda", ["id"] = d } },
        }));
        string j = run["jobs"]![0]!["id"]!.ToString();
        var tus = new HttpRequestMessage(HttpMethod.Post, "/api/upload/resumable_upload") { Headers = { { "Upload-Length", "10" }, { "Tus-Resumable", "1.0.0" } } };
        string session = (await alice.SendAsync(tus)).Headers.Location!.OriginalString;
        string user = (await Json(await alice.GetAsync("/api/users/current")))["id"]!.ToString();
        string bobHistory = (await Json(await bob.PostAsJsonAsync("/api/histories", new { name = "bob's" })))["id"]!.ToString();
        var pairOf = new JsonObject
        {
            ["type"] = "dataset_collection", ["name"] = "pair", ["collection_type"] = "paired",
            ["element_identifiers"] = new JsonArray(new JsonObject { ["name"] = "forward", ["src"] = "hda", ["id"] = d }, new JsonObject { ["name"] = "reverse", ["src"] = "hda", ["id"] = d }),
        };
        string hdca = (await Json(await alice.PostAsJsonAsync($"/api/histories/{h}/contents", pairOf)))["id"]!.ToString();
        string w = (await Json(await alice.PostAsJsonAsync("/api/workflows/upload", new JsonObject
        {
            ["workflow"] = WorkflowTests.Ga("alice's", WorkflowTests.Step(0, "data_input"), WorkflowTests.Step(1, "pause", connections: [("input", "0/output")])),
        })))["id"]!.ToString();
        string inv = (await Json(await alice.PostAsJsonAsync($"/api/workflows/{w}/invocations", new JsonObject
        {
            ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hda", ["id"] = d } }, ["history_id"] = h,
        })))["id"]!.ToString();
        var paused = await WorkflowTests.WaitAsync(alice, inv, i => WorkflowTests.StepAt(i, 1) is not null, "reaching the pause");
        string step = WorkflowTests.StepAt(paused, 1)!["id"]!.ToString();
        var bobsPair = pairOf.DeepClone().AsObject();
        bobsPair["history_id"] = bobHistory;

        var attempts = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, $"/api/histories/{h}", null), (HttpMethod.Put, $"/api/histories/{h}", new { name = "mine" }), (HttpMethod.Delete, $"/api/histories/{h}", new { purge = true }),
            (HttpMethod.Post, $"/api/histories/{h}/tags/mine", null), (HttpMethod.Post, $"/api/histories/deleted/{h}/undelete", null),
            (HttpMethod.Get, $"/api/histories/{h}/contents", null), (HttpMethod.Get, $"/api/histories/{h}/contents/{d}", null),
            (HttpMethod.Get, $"/api/histories/{h}/contents/datasets/{d}", null), (HttpMethod.Put, $"/api/histories/{h}/contents/{d}", new { name = "x" }),
            (HttpMethod.Delete, $"/api/histories/{h}/contents/{d}", new { purge = true }), (HttpMethod.Get, $"/api/histories/{h}/contents/{d}/display", null),
            (HttpMethod.Get, $"/api/histories/{h}/contents/{d}/provenance?follow=true", null),
            (HttpMethod.Get, $"/api/histories/{h}/contents/dataset_collections/{hdca}", null), (HttpMethod.Put, $"/api/histories/{h}/contents/dataset_collections/{hdca}", new { visible = false }),
            (HttpMethod.Delete, $"/api/histories/{h}/contents/dataset_collections/{hdca}", null), (HttpMethod.Get, $"/api/dataset_collections/{hdca}", null),
            (HttpMethod.Get, $"/api/dataset_collections/{hdca}/download", null), (HttpMethod.Post, $"/api/histories/{bobHistory}/contents", pairOf),
            (HttpMethod.Post, "/api/dataset_collections", bobsPair),
            (HttpMethod.Get, $"/api/workflows/{w}", null), (HttpMethod.Put, $"/api/workflows/{w}", new { name = "mine" }), (HttpMethod.Delete, $"/api/workflows/{w}", null),
            (HttpMethod.Get, $"/api/workflows/download/{w}", null), (HttpMethod.Get, $"/api/workflows/{w}/versions", null),
            (HttpMethod.Put, $"/api/workflows/{w}/refactor", new { actions = Array.Empty<object>() }), (HttpMethod.Get, $"/api/workflows/{w}/invocations", null),
            (HttpMethod.Post, $"/api/workflows/{w}/invocations", new JsonObject { ["inputs"] = new JsonObject { ["0"] = new JsonObject { ["src"] = "hda", ["id"] = d } } }),
            (HttpMethod.Post, "/api/workflows", new { shared_workflow_id = w }),
            (HttpMethod.Get, $"/api/invocations/{inv}", null), (HttpMethod.Delete, $"/api/invocations/{inv}", null), (HttpMethod.Get, $"/api/invocations/{inv}/steps/{step}", null),
            (HttpMethod.Put, $"/api/invocations/{inv}/steps/{step}", new { action = true }), (HttpMethod.Get, $"/api/invocations/{inv}/jobs_summary", null),
            (HttpMethod.Get, $"/api/invocations/{inv}/step_jobs_summary", null), (HttpMethod.Get, $"/api/invocations/{inv}/report", null),
            (HttpMethod.Get, $"/api/invocations/{inv}/biocompute", null), (HttpMethod.Get, $"/api/workflows/{w}/invocations/{inv}", null),
            (HttpMethod.Get, $"/api/jobs?invocation_id={inv}", null),
            (HttpMethod.Put, $"/api/histories/{h}/exports", null), (HttpMethod.Get, $"/api/histories/{h}/exports", null),
            (HttpMethod.Post, $"/api/histories/{h}/contents", new { source = "hda", content = d }), (HttpMethod.Post, $"/api/histories/{bobHistory}/contents", new { source = "hda", content = d }),
            (HttpMethod.Get, $"/api/datasets/{d}", null), (HttpMethod.Get, $"/api/datasets/deleted/{d}", null), (HttpMethod.Get, $"/api/datasets/{d}/display?to_ext=csx", null),
            (HttpMethod.Get, $"/api/datasets?history_id={h}", null), (HttpMethod.Get, $"/api/jobs?history_id={h}", null),
            (HttpMethod.Get, $"/api/jobs/{j}", null), (HttpMethod.Get, $"/api/jobs/{j}?full=True", null), (HttpMethod.Get, $"/api/jobs/{j}/inputs", null),
            (HttpMethod.Get, $"/api/jobs/{j}/outputs", null), (HttpMethod.Get, $"/api/jobs/{j}/build_for_rerun", null), (HttpMethod.Get, $"/api/jobs/{j}/common_problems", null),
            (HttpMethod.Get, $"/api/jobs/{j}/destination_params", null), (HttpMethod.Post, $"/api/jobs/{j}/error", new { dataset_id = d, message = "m" }),
            (HttpMethod.Get, $"/api/histories/{h}/contents/{d}/extra_files", null), (HttpMethod.Get, $"/api/jobs/{j}/metrics", null), (HttpMethod.Delete, $"/api/jobs/{j}", new { }),
            (HttpMethod.Get, $"/api/users/{user}", null), (HttpMethod.Post, $"/api/users/{user}/api_key", null), (HttpMethod.Get, $"/api/users/{user}/api_key", null),
            (HttpMethod.Get, $"/api/users/{user}/api_key/inputs", null), (HttpMethod.Put, $"/api/users/{user}/information/inputs", new { username = "bobby" }),
            (HttpMethod.Delete, $"/api/users/{user}", null), (HttpMethod.Delete, $"/api/users/{user}/api_key", null), (HttpMethod.Post, $"/api/users/deleted/{user}/undelete", null),
            (HttpMethod.Post, "/api/tools", new JsonObject { ["history_id"] = h, ["tool_id"] = "upload1", ["files_0|url_paste"] = "x" }),
            (HttpMethod.Post, "/api/tools", new JsonObject { ["history_id"] = bobHistory, ["tool_id"] = "ganymede_run_script", ["inputs"] = new JsonObject { ["select_file"] = new JsonObject { ["src"] = "hda", ["id"] = d } } }),
            (HttpMethod.Post, "/api/tools/fetch", new JsonObject { ["history_id"] = bobHistory, ["targets"] = new JsonArray(new JsonObject { ["destination"] = new JsonObject { ["type"] = "hdas" }, ["elements"] = new JsonArray(new JsonObject { ["src"] = "files" }) }), ["files_0|file_data"] = new JsonObject { ["session_id"] = session.Split('/')[^1] } }),
            (HttpMethod.Head, session, null), (HttpMethod.Patch, session, null), (HttpMethod.Delete, session, null),
            (HttpMethod.Get, $"/api/histories/{h}/sharing", null), (HttpMethod.Put, $"/api/histories/{h}/share_with_users", new { user_ids = new[] { "bob@example.org" } }),
            (HttpMethod.Put, $"/api/histories/{h}/enable_link_access", null), (HttpMethod.Put, $"/api/histories/{h}/disable_link_access", null),
            (HttpMethod.Put, $"/api/histories/{h}/publish", null), (HttpMethod.Put, $"/api/histories/{h}/unpublish", null),
            (HttpMethod.Get, $"/api/datasets/{d}/permissions", null), (HttpMethod.Put, $"/api/datasets/{d}/permissions", new { action = "remove_restrictions" }),
        };
        foreach (var (method, path, body) in attempts)
        {
            foreach (var (who, client) in new[] { ("bob", bob), ("nobody", As(null)) })
            {
                using var request = new HttpRequestMessage(method, path);
                if (body is not null) request.Content = JsonContent.Create(body, body.GetType());
                if (method == HttpMethod.Patch)
                {
                    request.Content = new ByteArrayContent(new byte[10]);
                    request.Content.Headers.ContentType = new("application/offset+octet-stream");
                    request.Headers.Add("Upload-Offset", "0");
                }
                using var response = await client.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{who}: {method} {path} answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                if (method != HttpMethod.Head) Assert.Contains("err_code", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        // Lists show only one's own things, and Alice's are untouched.
        Assert.DoesNotContain(h, (await bob.GetStringAsync("/api/histories")));
        Assert.DoesNotContain(d, (await bob.GetStringAsync("/api/datasets")));
        Assert.DoesNotContain(j, (await bob.GetStringAsync("/api/jobs")));
        Assert.DoesNotContain(w, await bob.GetStringAsync("/api/workflows"));
        Assert.DoesNotContain(inv, await bob.GetStringAsync("/api/invocations"));
        Assert.Equal("ready", (await Json(await alice.GetAsync($"/api/invocations/{inv}")))["state"]!.ToString());
        var history = await Json(await alice.GetAsync($"/api/histories/{h}"));
        Assert.Equal("alice's", history["name"]!.ToString());
        Assert.False(history["deleted"]!.GetValue<bool>());
        var dataset = await Json(await alice.GetAsync($"/api/datasets/{d}"));
        Assert.Equal("s.csx", dataset["name"]!.ToString());
    }
}
