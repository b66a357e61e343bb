using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Ganymede.Server.Tests;

/// <summary>Accounts through Galaxy's API: keys for a password (baseauth), users made by an administrator only, named keys revoked.</summary>
public sealed class AccountApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Client(string? key = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        if (key is not null) http.DefaultRequestHeaders.Add("x-api-key", key);
        return http;
    }

    private UserStore Users => server.Services.GetRequiredService<UserStore>();

    [Fact]
    public async Task Baseauth_trades_a_password_for_a_key_and_the_previous_such_key_stops_working()
    {
        var (user, _) = Users.Create("erin@example.org", isAdmin: false);
        Users.SetPasswordHash(user.Id, Passwords.Hash("erin's password"));
        async Task<HttpResponseMessage> SignInAsync(string password)
        {
            using var http = Client();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"erin@example.org:{password}")));
            return await http.GetAsync("/api/authenticate/baseauth");
        }

        var wrong = await SignInAsync("not it");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("the e-mail address or the password is wrong", (await wrong.Content.ReadFromJsonAsync<JsonObject>())!["err_msg"]!.ToString());

        var first = (await (await SignInAsync("erin's password")).Content.ReadFromJsonAsync<JsonObject>())!["api_key"]!.ToString();
        using (var http = Client(first)) Assert.Equal("erin@example.org", (await http.GetFromJsonAsync<JsonObject>("/api/users/current"))!["email"]!.ToString());
        var second = (await (await SignInAsync("erin's password")).Content.ReadFromJsonAsync<JsonObject>())!["api_key"]!.ToString();
        using (var http = Client(first)) Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/api/users/current")).StatusCode);
        using (var http = Client(second)) Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/users/current")).StatusCode);
        // The key made with the account, and the one from baseauth: two named keys.
        Assert.Equal(["made with the account", "made by /api/authenticate/baseauth"], Users.ApiKeys(user.Id).Select(k => k.Name));
    }

    [Fact]
    public async Task Galaxys_api_key_endpoints_make_a_new_key_for_the_user_or_an_administrator_only()
    {
        var (grace, graceKey) = Users.Create("grace@example.org", isAdmin: false);
        using var http = Client(graceKey);
        var first = await (await http.PostAsync("/api/users/current/api_key", null)).Content.ReadFromJsonAsync<string>();
        using (var withFirst = Client(first)) Assert.Equal("grace@example.org", (await withFirst.GetFromJsonAsync<JsonObject>("/api/users/current"))!["email"]!.ToString());
        // Asking again replaces the key made this way; the account's own key stays.
        var id = (await http.GetFromJsonAsync<JsonObject>("/api/users/current"))!["id"]!.ToString();
        var second = await http.GetFromJsonAsync<string>($"/api/users/{id}/api_key");
        Assert.NotEqual(first, second);
        using (var withFirst = Client(first)) Assert.Equal(HttpStatusCode.Forbidden, (await withFirst.GetAsync("/api/users/current")).StatusCode);
        Assert.Equal("Not available.", (await http.GetFromJsonAsync<JsonObject>($"/api/users/{id}/api_key/inputs"))!["inputs"]![0]!["value"]!.ToString());
        using var bob = Client(server.BobKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.PostAsync($"/api/users/{id}/api_key", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync($"/api/users/{id}/api_key/inputs")).StatusCode);
        Assert.Equal(2, Users.ApiKeys(grace.Id).Count);
    }

    [Fact]
    public async Task Only_an_administrator_creates_users_and_lists_them_all()
    {
        var (_, adminKey) = Users.Create("root@example.org", isAdmin: true);
        using var alice = Client(server.AliceKey);
        var refused = await alice.PostAsJsonAsync("/api/users", new { email = "mallory@example.org", password = "mallory's password" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Single((await alice.GetFromJsonAsync<JsonArray>("/api/users"))!);

        using var admin = Client(adminKey);
        var tooShort = await admin.PostAsJsonAsync("/api/users", new { email = "frank@example.org", password = "short" });
        Assert.Equal("a password needs at least 8 characters", (await tooShort.Content.ReadFromJsonAsync<JsonObject>())!["err_msg"]!.ToString());
        var made = await admin.PostAsJsonAsync("/api/users", new { email = "frank@example.org", password = "frank's password" });
        Assert.Equal("frank@example.org", (await made.Content.ReadFromJsonAsync<JsonObject>())!["email"]!.ToString());
        Assert.True(Passwords.Verify("frank's password", Users.FindByEmail("frank@example.org")!.PasswordHash));
        var everyone = (await admin.GetFromJsonAsync<JsonArray>("/api/users"))!.Select(u => u!["email"]!.ToString()).ToList();
        Assert.Contains("alice@example.org", everyone);
        Assert.Contains("frank@example.org", everyone);

        // A public name given at creation, changed later with the address; each stays unique.
        var judy = (await (await admin.PostAsJsonAsync("/api/users", new { email = "judy@example.org", password = "judy's password", username = "judy.h" })).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("judy.h", judy["username"]!.ToString());
        var renamed = await admin.PutAsJsonAsync($"/api/users/{judy["id"]}", new { username = "judy-h", email = "judy.h@example.org" });
        Assert.Equal(("judy-h", "judy.h@example.org"), ((await renamed.Content.ReadFromJsonAsync<JsonObject>())!["username"]!.ToString(), Users.Get(Users.FindByEmail("judy.h@example.org")!.Id)!.Email));
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PutAsJsonAsync($"/api/users/{judy["id"]}", new { email = "alice@example.org" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync($"/api/users/{judy["id"]}", new { username = "Not Allowed" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.PutAsJsonAsync($"/api/users/{judy["id"]}", new { username = "taken-over" })).StatusCode);
        Assert.Equal("judy-h", Users.FindByEmail("judy.h@example.org")!.Username);
    }

    [Fact]
    public void A_revoked_key_finds_no_one_and_a_key_belongs_to_its_owner_only()
    {
        var alice = Users.FindByEmail("alice@example.org")!;
        var bob = Users.FindByEmail("bob@example.org")!;
        var key = Users.CreateApiKey(alice.Id, "notebook");
        Assert.Equal(alice.Id, Users.FindByApiKey(key)!.Id);
        var id = Users.ApiKeys(alice.Id).Single(k => k.Name == "notebook").Id;
        Assert.False(Users.RevokeApiKey(bob.Id, id));
        Assert.NotNull(Users.FindByApiKey(key));
        Assert.True(Users.RevokeApiKey(alice.Id, id));
        Assert.Null(Users.FindByApiKey(key));
        Assert.Throws<ArgumentException>(() => Users.CreateApiKey(alice.Id, " "));
    }
}
