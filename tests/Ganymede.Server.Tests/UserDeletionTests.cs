using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Ganymede.Server.Tests;

/// <summary>
/// An administrator deletes a user (who can then neither sign in nor use a key), undeletes them, and purges them
/// (their histories purged, their address forgotten, for good); nobody else may, and nobody deletes themself.
/// </summary>
public sealed class UserDeletionTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static async Task<JsonNode> Json(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    /// <summary>Galaxy's password sign-in as BioBlend sends it: the credentials without the "Basic" scheme.</summary>
    private static HttpRequestMessage SignIn(string email, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/authenticate/baseauth");
        request.Headers.TryAddWithoutValidation("Authorization", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{email}:{password}")));
        return request;
    }

    [Fact]
    public async Task A_deleted_user_is_locked_out_until_undeleted_and_a_purged_one_is_gone_for_good()
    {
        using var admin = server.Http(server.AdminKey);
        using var bob = server.Http(server.BobKey);
        using var anonymous = server.Http(null);
        var carol = await Json(await admin.PostAsJsonAsync("/api/users", new { email = "carol@example.org", password = "carol's password", username = "carol" }));
        string id = carol["id"]!.ToString();
        string key = (await Json(await anonymous.SendAsync(SignIn("carol@example.org", "carol's password"))))["api_key"]!.ToString();
        using var asCarol = server.Http(key);
        string history = (await Json(await asCarol.PostAsJsonAsync("/api/histories", new { name = "carol's" })))["id"]!.ToString();

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.DeleteAsync($"/api/users/{id}")).StatusCode);
        string adminId = (await Json(await admin.GetAsync("/api/users/current")))["id"]!.ToString();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.DeleteAsync($"/api/users/{adminId}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.DeleteAsync($"/api/users/{id}?purge=true")).StatusCode);

        var deleted = await Json(await admin.DeleteAsync($"/api/users/{id}"));
        Assert.Equal((true, false), ((bool)deleted["deleted"]!, (bool)deleted["purged"]!));
        Assert.Equal(HttpStatusCode.Forbidden, (await asCarol.GetAsync("/api/histories")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(SignIn("carol@example.org", "carol's password"))).StatusCode);
        Assert.DoesNotContain(id, await admin.GetStringAsync("/api/users"));
        Assert.Contains(id, await admin.GetStringAsync("/api/users?deleted=true"));

        // Undeleted, her key and her history are as they were.
        await Json(await admin.PostAsync($"/api/users/deleted/{id}/undelete", null));
        Assert.Equal("carol's", (await Json(await asCarol.GetAsync($"/api/histories/{history}")))["name"]!.ToString());

        await Json(await admin.DeleteAsync($"/api/users/{id}"));
        var purged = await Json(await admin.DeleteAsync($"/api/users/{id}?purge=true"));
        Assert.True((bool)purged["purged"]!);
        Assert.DoesNotContain("carol", purged["email"]!.ToString(), StringComparison.Ordinal);
        Assert.True((bool)(await Json(await admin.GetAsync($"/api/histories/{history}")))["purged"]!);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync($"/api/users/deleted/{id}/undelete", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asCarol.GetAsync("/api/histories")).StatusCode);
    }

    [Fact]
    public async Task Deleting_the_api_key_stops_every_key_of_the_user()
    {
        using var admin = server.Http(server.AdminKey);
        using var anonymous = server.Http(null);
        var dave = await Json(await admin.PostAsJsonAsync("/api/users", new { email = "dave@example.org", password = "dave's password" }));
        string key = (await Json(await anonymous.SendAsync(SignIn("dave@example.org", "dave's password"))))["api_key"]!.ToString();
        using var asDave = server.Http(key);
        string second = (await Json(await asDave.PostAsync($"/api/users/{dave["id"]}/api_key", null))).ToString();
        Assert.Equal(HttpStatusCode.NoContent, (await asDave.DeleteAsync($"/api/users/{dave["id"]}/api_key")).StatusCode);
        foreach (var gone in new[] { key, second })
        {
            using var client = server.Http(gone);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/users/current")).StatusCode);
        }
    }
}
