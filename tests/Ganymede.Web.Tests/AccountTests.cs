using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>Accounts in the browser: API keys made and revoked, a password changed, users made by an administrator, self-registration.</summary>
public sealed class AccountTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task An_api_key_made_on_the_account_page_works_until_it_is_revoked()
    {
        var page = await web.SignedInAsync("alice@example.org");
        await page.GetByRole(AriaRole.Link, new() { Name = "alice@example.org" }).ClickAsync();
        await page.GetByLabel("Name of the new key").FillAsync("laptop bioblend");
        await page.GetByRole(AriaRole.Button, new() { Name = "Make a key" }).ClickAsync();
        var newKey = await page.GetByLabel("Key", new() { Exact = true }).InputValueAsync();
        Assert.Matches("^[0-9a-f]{64}$", newKey);
        await WebFixture.CheckPageAsync(page, "account");

        using var http = new HttpClient { BaseAddress = new Uri(web.Url) };
        async Task<int> CallAsync(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/current");
            request.Headers.Add("x-api-key", key);
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }
        Assert.Equal(200, await CallAsync(newKey));
        await page.GotoAsync("/account");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "laptop bioblend" }).Locator("td").Nth(2)).Not.ToHaveTextAsync("never");
        // The key is shown once: reloading the page does not show it again.
        await Expect(page.GetByLabel("Key", new() { Exact = true })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke laptop bioblend" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The key is revoked: programs using it are refused from now on.");
        Assert.Equal(403, await CallAsync(newKey));
        // Her other key (the one made with her account) still works.
        Assert.Equal(200, await CallAsync(web.AliceKey));
    }

    [Fact]
    public async Task An_administrator_creates_users_and_others_may_not()
    {
        var admin = await web.SignedInAsync("admin@example.org");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await admin.GetByLabel("E-mail").FillAsync("alice@example.org");
        await admin.GetByLabel(new Regex("^Password")).FillAsync("dave's long password");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create the user" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Alert)).ToHaveTextAsync("A user with e-mail alice@example.org already exists.");
        await Expect(admin.GetByLabel("E-mail")).ToHaveValueAsync("alice@example.org");
        await admin.GetByLabel("E-mail").FillAsync("dave@example.org");
        await admin.GetByLabel(new Regex("^Password")).FillAsync("dave's long password");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create the user" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Status)).ToHaveTextAsync("dave@example.org can sign in now.");
        await Expect(admin.GetByRole(AriaRole.Cell, new() { Name = "dave@example.org", Exact = true })).ToBeVisibleAsync();
        await WebFixture.CheckPageAsync(admin, "admin-users");

        var dave = await web.NewPageAsync();
        await dave.GotoAsync("/login");
        await dave.GetByLabel("E-mail").FillAsync("dave@example.org");
        await dave.GetByLabel("Password").FillAsync("dave's long password");
        await dave.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(dave.GetByRole(AriaRole.Link, new() { Name = "dave@example.org" })).ToBeVisibleAsync();
        await Expect(dave.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true })).ToHaveCountAsync(0);
        Assert.Equal(403, (await dave.GotoAsync("/admin/users"))!.Status);

        // Deleted, Dave's session ends; undeleted, he may sign in again.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Delete dave@example.org" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Status)).ToHaveTextAsync("dave@example.org is deleted.");
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Undelete dave@example.org" })).ToBeVisibleAsync();
        await WebFixture.CheckPageAsync(admin, "admin-users-deleted");
        Assert.Equal(403, (await dave.GotoAsync("/"))!.Status);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Undelete dave@example.org" }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Status)).ToHaveTextAsync("dave@example.org is undeleted.");
        Assert.Equal(200, (await dave.GotoAsync("/"))!.Status);
    }

    [Fact]
    public async Task People_register_themselves_when_the_server_allows_it()
    {
        var page = await web.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByRole(AriaRole.Link, new() { Name = "Create one" }).ClickAsync();
        await page.GetByLabel("E-mail").FillAsync("carol@example.org");
        await page.GetByLabel("Password (at least 8 characters)").FillAsync("carol's password");
        await page.GetByLabel("Password again").FillAsync("not the same");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The two passwords differ.");
        await WebFixture.CheckPageAsync(page, "register-refused");
        await page.GetByLabel("Password (at least 8 characters)").FillAsync("carol's password");
        await page.GetByLabel("Password again").FillAsync("carol's password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "carol@example.org" })).ToBeVisibleAsync();
        await Expect(page.GetByText("No histories yet.")).ToBeVisibleAsync();

        // The same address cannot be taken twice.
        var again = await web.NewPageAsync();
        await again.GotoAsync("/register");
        await again.GetByLabel("E-mail").FillAsync("carol@example.org");
        await again.GetByLabel("Password (at least 8 characters)").FillAsync("another password");
        await again.GetByLabel("Password again").FillAsync("another password");
        await again.GetByRole(AriaRole.Button, new() { Name = "Create the account" }).ClickAsync();
        await Expect(again.GetByRole(AriaRole.Alert)).ToHaveTextAsync("A user with e-mail carol@example.org already exists.");
    }
}
