using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Ganymede.Server.Tests;

/// <summary>
/// A lab's shared data: an administrator puts reference data in a library shared with a group through a role;
/// members see it and import it into their histories without copying its bytes; anyone else sees nothing of it.
/// </summary>
public sealed class LibraryTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Reference = "slice,dice\n1,0.75\n2,0.81\n";

    private static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType());
        return await http.SendAsync(request);
    }

    /// <summary>The file's inode: two names for one file have the same.</summary>
    private static string Inode(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["--format=%i", path]) { RedirectStandardOutput = true })!;
        var inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return inode;
    }

    [Fact]
    public async Task A_library_shared_with_a_group_is_seen_and_imported_by_its_members_only()
    {
        using var admin = server.Http(server.AdminKey);
        using var alice = server.Http(server.AliceKey);
        using var bob = server.Http(server.BobKey);
        string aliceId = (await Json(await alice.GetAsync("/api/users/current")))["id"]!.ToString();

        var library = await Json(await admin.PostAsJsonAsync("/api/libraries", new { name = "CT reference", description = "masks checked by two radiologists" }));
        string lib = library["id"]!.ToString();
        var folder = (await Json(await admin.PostAsJsonAsync($"/api/libraries/{lib}/contents", new { create_type = "folder", folder_id = library["root_folder_id"]!.ToString(), name = "scores" })))[0]!;
        var added = (await Json(await admin.PostAsJsonAsync($"/api/libraries/{lib}/contents", new Dictionary<string, object>
        {
            ["create_type"] = "file", ["folder_id"] = folder["id"]!.ToString(), ["upload_option"] = "upload_file", ["files_0|url_paste"] = Reference, ["file_type"] = "csv",
        })))[0]!;
        string ld = added["id"]!.ToString();

        // The group's role alone may see the library; Alice is in the group, Bob is not.
        var group = (await Json(await admin.PostAsJsonAsync("/api/groups", new { name = "covid lab", user_ids = new[] { aliceId } })))[0]!;
        var role = await Json(await admin.PostAsJsonAsync("/api/roles", new { name = "covid lab readers", description = "reads the lab's reference data", group_ids = new[] { group["id"]!.ToString() } }));
        var permissions = await Json(await admin.PostAsJsonAsync($"/api/libraries/{lib}/permissions", new Dictionary<string, object> { ["LIBRARY_ACCESS_in"] = new[] { role["id"]!.ToString() } }));
        Assert.Equal(new[] { "covid lab readers", role["id"]!.ToString() }, permissions["access_library_role_list"]![0]!.AsArray().Select(v => v!.ToString()));

        // Alice: the library in her list, its contents by path, the bytes, and an import sharing the library's file.
        Assert.Contains(lib, (await Json(await alice.GetAsync("/api/libraries"))).AsArray().Select(l => l!["id"]!.ToString()));
        var contents = (await Json(await alice.GetAsync($"/api/libraries/{lib}/contents"))).AsArray();
        Assert.Equal(["/", "/scores", "/scores/Pasted Entry"], contents.Select(c => c!["name"]!.ToString()));
        var shown = await Json(await alice.GetAsync($"/api/libraries/{lib}/contents/{ld}"));
        Assert.Equal(("csv", Reference.Length, "ok"), (shown["file_ext"]!.ToString(), (int)shown["file_size"]!, shown["state"]!.ToString()));
        Assert.Null(shown["file_name"]); // the server's paths are shown to administrators only
        Assert.Equal(Reference, await alice.GetStringAsync($"/api/libraries/datasets/download/uncompressed?ld_ids%5B%5D={ld}"));

        string history = (await Json(await alice.PostAsJsonAsync("/api/histories", new { name = "analysis" })))["id"]!.ToString();
        var imported = await Json(await alice.PostAsJsonAsync($"/api/histories/{history}/contents", new { source = "library", content = ld }));
        Assert.Equal(("ok", "csv", "Pasted Entry"), (imported["state"]!.ToString(), imported["extension"]!.ToString(), imported["name"]!.ToString()));
        Assert.Equal(Reference, await alice.GetStringAsync($"/api/datasets/{imported["id"]}/display"));
        var files = server.Services.GetRequiredService<FileStore>();
        var ids = server.Services.GetRequiredService<IdCodec>();
        Assert.True(ids.TryDecode(imported["id"]!.ToString(), out var hda));
        Assert.True(ids.TryDecode(ld, out var ldId));
        Assert.Equal(Inode(files.LibraryDatasetPath(ldId)), Inode(files.DatasetPath(hda)));

        // Alice may read, not change: no folders, no edits, no deletion, no permissions.
        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Post, $"/api/libraries/{lib}/contents", new { create_type = "folder", folder_id = folder["id"]!.ToString(), name = "mine" }),
            (HttpMethod.Patch, $"/api/libraries/datasets/{ld}", new { name = "renamed" }), (HttpMethod.Delete, $"/api/libraries/{lib}/contents/{ld}", new { purged = true }),
            (HttpMethod.Get, $"/api/libraries/{lib}/permissions", null), (HttpMethod.Delete, $"/api/libraries/{lib}", null),
            (HttpMethod.Post, $"/api/libraries/datasets/{ld}/permissions", new { action = "remove_restrictions" }),
        })
        {
            using var refused = await Send(alice, method, path, body);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"alice: {method} {path} answered {(int)refused.StatusCode}");
        }

        // Bob, outside the group: nothing of it is listed, shown, downloaded or imported.
        Assert.DoesNotContain(lib, await bob.GetStringAsync("/api/libraries"));
        string bobs = (await Json(await bob.PostAsJsonAsync("/api/histories", new { name = "bob's" })))["id"]!.ToString();
        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Get, $"/api/libraries/{lib}", null), (HttpMethod.Get, $"/api/libraries/{lib}/contents", null),
            (HttpMethod.Get, $"/api/libraries/{lib}/contents/{ld}", null), (HttpMethod.Get, $"/api/libraries/datasets/{ld}", null),
            (HttpMethod.Get, $"/api/folders/{folder["id"]}", null), (HttpMethod.Get, $"/api/folders/{folder["id"]}/contents", null),
            (HttpMethod.Get, $"/api/libraries/datasets/download/uncompressed?ld_ids%5B%5D={ld}", null),
            (HttpMethod.Post, $"/api/histories/{bobs}/contents", new { source = "library", content = ld }),
        })
        {
            using var refused = await Send(bob, method, path, body);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"bob: {method} {path} answered {(int)refused.StatusCode}");
        }
        Assert.Empty((await Json(await bob.GetAsync($"/api/histories/{bobs}/contents"))).AsArray());

        // Made public again, Bob sees it too.
        await Json(await admin.PostAsJsonAsync($"/api/libraries/{lib}/permissions", new { }));
        Assert.Contains(lib, await bob.GetStringAsync("/api/libraries"));
    }

    [Fact]
    public async Task A_dataset_copied_to_another_history_shares_its_file_and_counts_once()
    {
        using var alice = server.Http(server.AliceKey);
        string first = (await Json(await alice.PostAsJsonAsync("/api/histories", new { name = "first" })))["id"]!.ToString();
        string second = (await Json(await alice.PostAsJsonAsync("/api/histories", new { name = "second" })))["id"]!.ToString();
        var pasted = await Json(await alice.PostAsJsonAsync("/api/tools", new JsonObject
        {
            ["history_id"] = first, ["tool_id"] = "upload1", ["inputs"] = new JsonObject { ["files_0|NAME"] = "scores.csv" }, ["files_0|url_paste"] = "a,b\n1,2",
        }));
        string original = pasted["outputs"]![0]!["id"]!.ToString();
        long before = (long)(await Json(await alice.GetAsync("/api/users/current")))["total_disk_usage"]!;

        var copy = await Json(await alice.PostAsJsonAsync($"/api/histories/{second}/contents", new { source = "hda", content = original, type = "dataset" }));
        Assert.Equal(("scores.csv", 1L, "ok"), (copy["name"]!.ToString(), (long)copy["hid"]!, copy["state"]!.ToString()));
        Assert.Equal("a,b\n1,2\n", await alice.GetStringAsync($"/api/datasets/{copy["id"]}/display"));
        Assert.Equal(before, (long)(await Json(await alice.GetAsync("/api/users/current")))["total_disk_usage"]!);

        // Purging the original leaves the copy whole.
        await Json(await Send(alice, HttpMethod.Delete, $"/api/histories/{first}/contents/{original}", new { purge = true }));
        Assert.Equal("a,b\n1,2\n", await alice.GetStringAsync($"/api/datasets/{copy["id"]}/display"));
    }

    [Fact]
    public async Task Roles_groups_quotas_and_libraries_are_managed_by_administrators_only()
    {
        using var admin = server.Http(server.AdminKey);
        string lib = (await Json(await admin.PostAsJsonAsync("/api/libraries", new { name = "admin's" })))["id"]!.ToString();
        string group = (await Json(await admin.PostAsJsonAsync("/api/groups", new { name = "admin's group" })))[0]!["id"]!.ToString();
        string quota = (await Json(await admin.PostAsJsonAsync("/api/quotas", new { name = "admin's quota", description = "d", amount = "1 GB", operation = "=" })))["id"]!.ToString();
        string aliceId = (await Json(await admin.GetAsync("/api/users"))).AsArray().First(u => u!["email"]!.ToString() == "alice@example.org")!["id"]!.ToString();
        var attempts = new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Post, "/api/roles", new { name = "r", description = "d" }), (HttpMethod.Get, "/api/groups", null),
            (HttpMethod.Post, "/api/groups", new { name = "g" }), (HttpMethod.Get, $"/api/groups/{group}", null), (HttpMethod.Put, $"/api/groups/{group}", new { name = "g2" }),
            (HttpMethod.Get, $"/api/groups/{group}/users", null), (HttpMethod.Put, $"/api/groups/{group}/users/{aliceId}", null),
            (HttpMethod.Delete, $"/api/groups/{group}/users/{aliceId}", null), (HttpMethod.Get, $"/api/groups/{group}/roles", null),
            (HttpMethod.Get, "/api/quotas", null), (HttpMethod.Post, "/api/quotas", new { name = "q", description = "d", amount = "1 TB", operation = "=" }),
            (HttpMethod.Get, $"/api/quotas/{quota}", null), (HttpMethod.Put, $"/api/quotas/{quota}", new { amount = "1 TB" }),
            (HttpMethod.Delete, $"/api/quotas/{quota}", null), (HttpMethod.Post, $"/api/quotas/deleted/{quota}/undelete", null),
            (HttpMethod.Post, "/api/libraries", new { name = "mine" }), (HttpMethod.Delete, $"/api/libraries/{lib}", null),
            (HttpMethod.Patch, $"/api/libraries/{lib}", new { name = "renamed" }), (HttpMethod.Post, $"/api/libraries/{lib}/permissions", new { }),
            (HttpMethod.Post, $"/api/libraries/{lib}/contents", new Dictionary<string, object> { ["create_type"] = "file", ["upload_option"] = "upload_file", ["files_0|url_paste"] = "x" }),
        };
        foreach (var (who, key) in new[] { ("alice", server.AliceKey), ("nobody", null) })
        {
            using var http = server.Http(key);
            foreach (var (method, path, body) in attempts)
            {
                using var refused = await Send(http, method, path, body);
                Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{who}: {method} {path} answered {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            }
        }
        // A user lists the roles they have: Bob, in no group, has his private one, which carries his user id.
        using var bob = server.Http(server.BobKey);
        string bobId = (await Json(await bob.GetAsync("/api/users/current")))["id"]!.ToString();
        var roles = (await Json(await bob.GetAsync("/api/roles"))).AsArray();
        Assert.Equal([(bobId, "bob@example.org", "private")], roles.Select(r => (r!["id"]!.ToString(), r["name"]!.ToString(), r["type"]!.ToString())));
        Assert.Equal("admin's", (await Json(await admin.GetAsync($"/api/libraries/{lib}")))["name"]!.ToString());
    }
}
