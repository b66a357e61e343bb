using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Ganymede.Server.Tests;

/// <summary>Galaxy's history API beyond create/show/delete: tags, annotation, publishing and its slug, undelete, most recently used, everyone's (admins).</summary>
public sealed class HistoryApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient As(string? key) => server.Http(key);

    private static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    [Fact]
    public async Task Tags_annotation_and_publishing_work_for_the_owner_and_show_to_everyone_only_when_published()
    {
        using var alice = As(server.AliceKey);
        using var bob = As(server.BobKey);
        using var anybody = As(null);
        var id = (await Json(await alice.PostAsJsonAsync("/api/histories", new { name = "COVID CT, run 2" })))["id"]!.ToString();

        var updated = await Json(await alice.PutAsJsonAsync($"/api/histories/{id}", new { annotation = "the held-out test", tags = new[] { "covid", " ct ", "covid" } }));
        Assert.Equal(["covid", "ct"], updated["tags"]!.AsArray().Select(t => t!.ToString()));
        Assert.Equal("the held-out test", updated["annotation"]!.ToString());
        await Json(await alice.PostAsync($"/api/histories/{id}/tags/name:unet", null));
        Assert.Equal(["covid", "ct", "name:unet"], (await Json(await alice.GetAsync($"/api/histories/{id}")))["tags"]!.AsArray().Select(t => t!.ToString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.PutAsJsonAsync($"/api/histories/{id}", new { tags = new[] { "a,b" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsync($"/api/histories/{id}/tags/mine", null)).StatusCode);

        // Not published: nobody else lists it. Published: anyone lists and reads it, by its slug too, and still nobody else may change it.
        Assert.DoesNotContain(id, Ids(await Json(await anybody.GetAsync("/api/histories/published"))));
        var published = await Json(await alice.PutAsJsonAsync($"/api/histories/{id}", new { published = true }));
        Assert.Equal(("covid-ct-run-2", true), (published["slug"]!.ToString(), published["importable"]!.GetValue<bool>()));
        Assert.Equal("u/alice/h/covid-ct-run-2", published["username_and_slug"]!.ToString());
        Assert.Contains(id, Ids(await Json(await anybody.GetAsync("/api/histories/published"))));
        Assert.Equal([id], Ids(await Json(await anybody.GetAsync("/api/histories/published?q=slug&qv=covid-ct-run-2"))));
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PutAsJsonAsync($"/api/histories/{id}", new { name = "bob's now" })).StatusCode);
        Assert.Equal("COVID CT, run 2", (await Json(await anybody.GetAsync($"/api/histories/{id}")))["name"]!.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, (await anybody.PutAsJsonAsync($"/api/histories/{id}", new { name = "anybody's now" })).StatusCode);
        var second = (await Json(await alice.PostAsJsonAsync("/api/histories", new { name = "COVID CT, run 2" })))["id"]!.ToString();
        Assert.Equal("covid-ct-run-2-2", (await Json(await alice.PutAsJsonAsync($"/api/histories/{second}", new { published = true })))["slug"]!.ToString());
    }

    [Fact]
    public async Task Undelete_most_recently_used_and_everyones_histories_follow_galaxy()
    {
        using var alice = As(server.AliceKey);
        using var bob = As(server.BobKey);
        var id = (await Json(await alice.PostAsJsonAsync("/api/histories", new { name = "to undelete" })))["id"]!.ToString();
        Assert.Equal(id, (await Json(await alice.GetAsync("/api/histories/most_recently_used")))["id"]!.ToString());
        await Json(await alice.DeleteAsync($"/api/histories/{id}"));
        Assert.DoesNotContain(id, Ids(await Json(await alice.GetAsync("/api/histories"))));
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsync($"/api/histories/deleted/{id}/undelete", null)).StatusCode);
        Assert.Equal("OK", (await Json(await alice.PostAsync($"/api/histories/deleted/{id}/undelete", null))).ToString());
        Assert.Contains(id, Ids(await Json(await alice.GetAsync("/api/histories"))));

        // Everyone's histories: an administrator's view only.
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/api/histories?all=true")).StatusCode);
        var admin = server.Services.GetRequiredService<UserStore>().Create($"admin-{Guid.NewGuid():N}@example.org", isAdmin: true).ApiKey;
        using var administrator = As(admin);
        Assert.Contains(id, Ids(await Json(await administrator.GetAsync("/api/histories?all=true"))));
        Assert.DoesNotContain(id, Ids(await Json(await administrator.GetAsync("/api/histories"))));
    }

    private static List<string> Ids(JsonNode list) => list.AsArray().Select(h => h!["id"]!.ToString()).ToList();
}
