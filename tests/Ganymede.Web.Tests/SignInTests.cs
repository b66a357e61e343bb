using System.Net;
using Ganymede.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>Signing in and out in a real browser; each user sees their own histories only; forms refuse forgery; pages pass axe-core.</summary>
public sealed class SignInTests(WebFixture web) : IClassFixture<WebFixture>
{
    private static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    [Fact]
    public async Task A_user_signs_in_sees_only_their_histories_and_signs_out()
    {
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        using var bob = new GanymedeClient(web.Url, web.BobKey);
        var history = await alice.CreateHistoryAsync("CT scans");
        await alice.PasteAsync(history.Id, "slice,dice\n1,0.75\n", "dice.csv");
        var bobs = await bob.CreateHistoryAsync("bob's private work");

        var page = await web.NewPageAsync();
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await WebFixture.CheckPageAsync(page, "login");

        await SignInAsync(page, "alice@example.org", "not her password");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The e-mail address or the password is wrong.");
        await Expect(page.GetByLabel("E-mail")).ToHaveValueAsync("alice@example.org");
        await WebFixture.CheckPageAsync(page, "login-failed");

        await SignInAsync(page, "alice@example.org", WebFixture.Password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "CT scans", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "dice.csv", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "csv", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByText("bob's private work")).ToHaveCountAsync(0);
        await WebFixture.CheckPageAsync(page, "histories");
        await page.SetViewportSizeAsync(390, 800);
        await WebFixture.CheckPageAsync(page, "histories-narrow");

        // The session reads through the API (downloads) but changes nothing there: that needs the key.
        var read = await page.APIRequest.GetAsync($"/api/histories/{history.Id}");
        Assert.Equal(200, read.Status);
        var write = await page.APIRequest.PostAsync("/api/histories", new() { DataObject = new { name = "made with a cookie" } });
        Assert.Equal(403, write.Status);

        // Bob's history by its address: refused as the API refuses it.
        var response = await page.GotoAsync($"/?history={bobs.Id}");
        Assert.Equal((int)HttpStatusCode.Forbidden, response!.Status);

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login$"));
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?ReturnUrl=%2F$"));
    }

    [Fact]
    public async Task A_form_posted_without_its_anti_forgery_token_is_refused()
    {
        using var http = new HttpClient { BaseAddress = new Uri(web.Url) };
        var forged = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = "alice@example.org", ["Password"] = WebFixture.Password,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.DoesNotContain(forged.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("ganymede=", StringComparison.Ordinal)));
    }
}
