using Ganymede.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>
/// Tags and sharing in the browser: Alice tags a history and a dataset, shares the history with Bob, who reads it
/// and can change nothing in it; then she publishes it and stops sharing it, and Bob finds it among the published ones.
/// </summary>
public sealed class SharingPageTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task A_tagged_history_is_shared_read_only_then_published()
    {
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("Dice per slice");
        var scores = await alice.PasteAsync(history.Id, "slice,dice\n1,0.75\n2,0.81\n", "scores.csv", "csv");
        await alice.WaitForDatasetAsync(scores.Id, TimeSpan.FromMinutes(1));

        var page = await web.SignedInAsync("alice@example.org");
        await page.GotoAsync($"/?history={history.Id}");
        await page.GetByLabel("Tags (separated by commas)").FillAsync("covid, ct , covid");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save tags" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Tags" }).GetByRole(AriaRole.Listitem)).ToHaveTextAsync(["covid", "ct"]);

        // Sharing: a name that is no user is said; Bob is added.
        await page.GetByLabel("Share with (e-mail)").FillAsync("nobody@example.org");
        await page.GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("nobody@example.org is not a user of this server.");
        await page.GetByLabel("Share with (e-mail)").FillAsync("bob@example.org");
        await page.GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();
        await Expect(page.Locator(".shared-with li")).ToHaveCountAsync(1);
        await Expect(page.Locator(".shared-with li")).ToContainTextAsync("bob@example.org");
        await WebFixture.CheckPageAsync(page, "history-sharing");

        await page.GetByRole(AriaRole.Link, new() { Name = "scores.csv", Exact = true }).ClickAsync();
        await page.GetByLabel("Tags (separated by commas)").FillAsync("validation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save tags" }).ClickAsync();
        await Expect(page.Locator("ul.tags .tag")).ToHaveTextAsync(["validation"]);

        // Bob reads the history and the dataset, and nothing on them lets him change anything.
        var bob = await web.SignedInAsync("bob@example.org");
        await bob.GetByRole(AriaRole.Link, new() { Name = "Dice per slice" }).ClickAsync();
        await Expect(bob.Locator(".read-only")).ToHaveTextAsync("A history of alice@example.org, shared with you: read only. You may look at its datasets and download them.");
        await Expect(bob.GetByRole(AriaRole.Row).Filter(new() { HasText = "scores.csv" }).Locator(".tag")).ToHaveTextAsync("validation");
        foreach (var name in new[] { "Rename", "Delete scores.csv", "Save tags", "Share" })
            await Expect(bob.GetByRole(AriaRole.Button, new() { Name = name, Exact = true })).ToHaveCountAsync(0);
        await Expect(bob.GetByRole(AriaRole.Heading, new() { Name = "Upload" })).ToHaveCountAsync(0);
        await WebFixture.CheckPageAsync(bob, "history-shared-with-me");
        await bob.GetByRole(AriaRole.Link, new() { Name = "scores.csv", Exact = true }).ClickAsync();
        await Expect(bob.GetByRole(AriaRole.Cell, new() { Name = "0.81" })).ToBeVisibleAsync();
        await Expect(bob.GetByRole(AriaRole.Button, new() { Name = "Save tags" })).ToHaveCountAsync(0);

        // Published and no longer shared: Bob finds it among the published histories, still read only.
        await page.GotoAsync($"/?history={history.Id}");
        await page.GetByLabel("Published: every user sees it in their list").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop sharing with bob@example.org" }).ClickAsync();
        await Expect(page.Locator(".shared-with li")).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Anyone with its address may read it")).ToBeCheckedAsync();
        using var api = new HttpClient { BaseAddress = new Uri(web.Url), DefaultRequestHeaders = { { "x-api-key", web.AliceKey } } };
        var sharing = System.Text.Json.Nodes.JsonNode.Parse(await api.GetStringAsync($"/api/histories/{history.Id}/sharing"))!;
        Assert.Equal((true, 0), ((bool)sharing["published"]!, sharing["users_shared_with"]!.AsArray().Count));
        await bob.GotoAsync("/");
        await Expect(bob.GetByRole(AriaRole.Heading, new() { Name = "Shared with you" })).ToHaveCountAsync(0);
        await bob.GetByRole(AriaRole.Link, new() { Name = "Dice per slice" }).ClickAsync();
        await Expect(bob.Locator(".read-only")).ToContainTextAsync("published: read only");

        // A copy of his own, which he may change.
        await bob.GetByRole(AriaRole.Button, new() { Name = "Copy it into your histories" }).ClickAsync();
        await Expect(bob.GetByRole(AriaRole.Heading, new() { Name = "Copy of 'Dice per slice'", Level = 1 })).ToBeVisibleAsync();
        await Expect(bob.GetByRole(AriaRole.Button, new() { Name = "Delete scores.csv" })).ToBeVisibleAsync();
        await Expect(bob.Locator(".read-only")).ToHaveCountAsync(0);
    }
}
