using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Ganymede.Server.Tests;

/// <summary>
/// Sharing, read-only always: a history shared with a user, published, or accessible by link is read by them (or by
/// anyone) and changed by no one but its owner; a dataset's own permissions narrow or widen that (private, published,
/// roles); whatever is not shared answers 403.
/// </summary>
public sealed class SharingTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Scores = "slice,dice\n1,0.75\n2,0.81\n";

    private static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    /// <summary>A well-formed role id that no role has.</summary>
    private string NoRole => server.Services.GetRequiredService<Storage.IdCodec>().Encode(Storage.RoleStore.SharedBase + 999_999);

    private static async Task<JsonNode> Put(HttpClient http, string path, object? body = null) =>
        await Json(await http.PutAsJsonAsync(path, body ?? new { }));

    private async Task<(string History, string Dataset)> AliceHistoryAsync(string name)
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync(name);
        var dataset = await alice.PasteAsync(history.Id, Scores, "scores.csv", "csv");
        await alice.WaitForDatasetAsync(dataset.Id, TimeSpan.FromMinutes(1));
        return (history.Id, dataset.Id);
    }

    [Fact]
    public async Task A_history_shared_with_a_user_is_read_by_them_and_changed_only_by_its_owner()
    {
        using var alice = server.Http(server.AliceKey);
        using var bob = server.Http(server.BobKey);
        using var anonymous = server.Http(null);
        var (history, dataset) = await AliceHistoryAsync("shared scores");
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/histories/{history}")).StatusCode);

        string aliceId = (await Json(await alice.GetAsync("/api/users/current")))["id"]!.ToString();
        var shared = await Put(alice, $"/api/histories/{history}/share_with_users", new { user_ids = new[] { "bob@example.org", "nobody@example.org", aliceId } });
        Assert.Equal(["bob@example.org"], shared["users_shared_with"]!.AsArray().Select(u => u!["email"]!.ToString()));
        Assert.Equal(["nobody@example.org is not a user of this server.", "You cannot share a history with yourself."], shared["errors"]!.AsArray().Select(e => e!.ToString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PutAsJsonAsync($"/api/histories/{history}/share_with_users", new { user_ids = Array.Empty<string>() })).StatusCode);

        // Bob reads the history, its contents and the dataset's bytes, and copies the dataset into a history of his.
        Assert.Equal("shared scores", (await Json(await bob.GetAsync($"/api/histories/{history}")))["name"]!.ToString());
        Assert.Equal([dataset], (await Json(await bob.GetAsync($"/api/histories/{history}/contents"))).AsArray().Select(d => d!["id"]!.ToString()));
        Assert.Equal(Scores, await bob.GetStringAsync($"/api/datasets/{dataset}/display"));
        Assert.Contains(history, (await Json(await bob.GetAsync("/api/histories/shared_with_me"))).AsArray().Select(h => h!["id"]!.ToString()));
        var bobs = (await Json(await bob.PostAsJsonAsync("/api/histories", new { name = "bob's copy" })))["id"]!.ToString();
        var copy = await Json(await bob.PostAsJsonAsync($"/api/histories/{bobs}/contents", new { source = "hda", content = dataset }));
        Assert.Equal(Scores, await bob.GetStringAsync($"/api/datasets/{copy["id"]}/display"));
        var whole = await Json(await bob.PostAsJsonAsync("/api/histories", new { history_id = history }));
        Assert.Equal("Copy of 'shared scores'", whole["name"]!.ToString());
        var copied = (await Json(await bob.GetAsync($"/api/histories/{whole["id"]}/contents"))).AsArray().Single()!;
        Assert.Equal(Scores, await bob.GetStringAsync($"/api/datasets/{copied["id"]}/display"));

        // Read-only: nothing of Alice's changes through Bob, and someone signed in as no one reads nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PutAsJsonAsync($"/api/histories/{history}", new { name = "mine now" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.DeleteAsync($"/api/histories/{history}/contents/{dataset}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsJsonAsync($"/api/histories/{history}/contents", new { source = "hda", content = copy["id"]!.ToString() })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PutAsJsonAsync($"/api/datasets/{dataset}/permissions", new { action = "remove_restrictions" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"/api/histories/{history}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"/api/datasets/{dataset}")).StatusCode);

        // A dataset made private leaves the shared history's contents for Bob; unsharing ends the rest.
        await Put(alice, $"/api/datasets/{dataset}/permissions", new { action = "make_private" });
        Assert.Empty((await Json(await bob.GetAsync($"/api/histories/{history}/contents"))).AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/datasets/{dataset}")).StatusCode);
        await Put(alice, $"/api/histories/{history}/share_with_users", new { user_ids = Array.Empty<string>() });
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/histories/{history}")).StatusCode);
        Assert.DoesNotContain(history, (await Json(await bob.GetAsync("/api/histories/shared_with_me"))).AsArray().Select(h => h!["id"]!.ToString()));
    }

    [Fact]
    public async Task Publishing_and_link_access_open_a_history_to_anyone_until_taken_back()
    {
        using var alice = server.Http(server.AliceKey);
        using var anonymous = server.Http(null);
        var (history, dataset) = await AliceHistoryAsync("published scores");

        var published = await Put(alice, $"/api/histories/{history}/publish");
        Assert.Equal((true, true), ((bool)published["published"]!, (bool)published["importable"]!));
        Assert.Equal("published scores", (await Json(await anonymous.GetAsync($"/api/histories/{history}")))["name"]!.ToString());
        Assert.Equal(Scores, await anonymous.GetStringAsync($"/api/histories/{history}/contents/{dataset}/display"));
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.PutAsJsonAsync($"/api/histories/{history}", new { name = "x" })).StatusCode);

        // Disabling link access unpublishes too; link access alone opens it again.
        var closed = await Put(alice, $"/api/histories/{history}/disable_link_access");
        Assert.Equal((false, false), ((bool)closed["published"]!, (bool)closed["importable"]!));
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"/api/histories/{history}/contents")).StatusCode);
        await Put(alice, $"/api/histories/{history}/enable_link_access");
        Assert.Single((await Json(await anonymous.GetAsync($"/api/histories/{history}/contents"))).AsArray());
        var sharing = await Json(await alice.GetAsync($"/api/histories/{history}/sharing"));
        Assert.Equal((false, true), ((bool)sharing["published"]!, (bool)sharing["importable"]!));
    }

    [Fact]
    public async Task A_datasets_roles_let_their_members_read_it_and_publishing_it_lets_anyone()
    {
        using var admin = server.Http(server.AdminKey);
        using var alice = server.Http(server.AliceKey);
        using var bob = server.Http(server.BobKey);
        using var anonymous = server.Http(null);
        var (_, dataset) = await AliceHistoryAsync("restricted scores");
        string aliceId = (await Json(await alice.GetAsync("/api/users/current")))["id"]!.ToString();
        string bobId = (await Json(await bob.GetAsync("/api/users/current")))["id"]!.ToString();
        var role = (await Json(await admin.PostAsJsonAsync("/api/roles", new { name = "scores readers", description = "Alice and Bob", user_ids = new[] { aliceId, bobId } })))["id"]!.ToString();

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/datasets/{dataset}")).StatusCode);
        var roles = await Put(alice, $"/api/datasets/{dataset}/permissions", new { action = "set_permissions", access = new[] { role }, manage = new[] { role } });
        Assert.Equal([role], roles["access_dataset_roles"]!.AsArray().Select(r => r![1]!.ToString()));
        Assert.Equal("scores readers", roles["manage_dataset_roles"]![0]![0]!.ToString());
        Assert.Equal(dataset, (await Json(await bob.GetAsync($"/api/datasets/{dataset}")))["id"]!.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"/api/datasets/{dataset}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.PutAsJsonAsync($"/api/datasets/{dataset}/permissions", new { action = "share_with_everyone" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PutAsJsonAsync($"/api/datasets/{dataset}/permissions", new { action = "set_permissions", access = new[] { NoRole } })).StatusCode);

        // Bob holds a manage role: he may publish it; then anyone reads it, signed in or not.
        await Put(bob, $"/api/datasets/{dataset}/permissions", new { action = "remove_restrictions" });
        Assert.Equal(Scores, await anonymous.GetStringAsync($"/api/datasets/{dataset}/display"));
        await Put(alice, $"/api/datasets/{dataset}/permissions", new { action = "make_private" });
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync($"/api/datasets/{dataset}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/datasets/{dataset}")).StatusCode);
    }
}
