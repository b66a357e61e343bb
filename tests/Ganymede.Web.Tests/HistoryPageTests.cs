using Ganymede.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>The histories page in a real browser: what the API does to histories and datasets, done from the page.</summary>
public sealed class HistoryPageTests(WebFixture web) : IClassFixture<WebFixture>
{
    private ILocator Heading(IPage page, string name) => page.GetByRole(AriaRole.Heading, new() { Name = name, Level = 1, Exact = true });

    [Fact]
    public async Task Histories_are_made_renamed_deleted_undeleted_and_purged_from_the_page()
    {
        var page = await web.SignedInAsync("alice@example.org");
        await page.GetByLabel("Name of the new history").FillAsync("Lung CT");
        await page.GetByRole(AriaRole.Button, new() { Name = "New history" }).ClickAsync();
        await Expect(Heading(page, "Lung CT")).ToBeVisibleAsync();
        await Expect(page.GetByText("This history is empty.")).ToBeVisibleAsync();

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Lung CT, March");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Expect(Heading(page, "Lung CT, March")).ToBeVisibleAsync();

        // A name the server refuses (the browser's own length check removed): the reason, and nothing changed.
        await page.EvaluateAsync("document.getElementById('rename').removeAttribute('maxlength')");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(new string('x', 300));
        await page.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("history name: 1 to 255 characters, no NUL");
        await WebFixture.CheckPageAsync(page, "history-refused-name");

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Lung CT, March" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Lung CT, March" })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = "Deleted histories" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Lung CT, March" }).ClickAsync();
        await Expect(page.GetByText("This history is deleted.")).ToBeVisibleAsync();
        await WebFixture.CheckPageAsync(page, "history-deleted");
        await page.GetByRole(AriaRole.Button, new() { Name = "Undelete" }).ClickAsync();
        await Expect(Heading(page, "Lung CT, March")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Rename" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete and purge" }).ClickAsync();
        await page.GotoAsync("/?deleted=true");
        await page.GetByRole(AriaRole.Link, new() { Name = "Lung CT, March" }).ClickAsync();
        await Expect(page.GetByText("This history is deleted and purged: its datasets' files are gone.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Undelete" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Datasets_change_state_live_download_and_delete()
    {
        using var bob = new GanymedeClient(web.Url, web.BobKey);
        var history = await bob.CreateHistoryAsync("live states");
        var table = await bob.PasteAsync(history.Id, "slice,dice\n1,0.75\n2,0.80\n", "dice.csv");
        var script = await bob.PasteAsync(history.Id, "System.Threading.Thread.Sleep(3000);\nConsole.WriteLine(\"trained\");\n", "slow.csx");

        var page = await web.SignedInAsync("bob@example.org");
        await page.GotoAsync($"/?history={history.Id}");
        await page.EvaluateAsync("window.notReloaded = true");
        await bob.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(script.Id) });
        // The job's outputs appear and reach ok while the page stays where it is (it refreshes its table itself).
        await page.ReloadAsync();
        await page.EvaluateAsync("window.notReloaded = true");
        var state = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Log" }).Locator(".state");
        await Expect(state).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(new|queued|running)$"));
        await Expect(state).ToHaveTextAsync("ok", new() { Timeout = 120_000 });
        // The list beside the table counts the job's outputs too, without a reload.
        var count = (await bob.ListContentsAsync(history.Id)).Count(d => !d.Deleted);
        await Expect(page.Locator($"#totals-{history.Id}")).ToContainTextAsync($"{count} datasets");
        Assert.True(await page.EvaluateAsync<bool>("window.notReloaded === true"));
        await WebFixture.CheckPageAsync(page, "history-live");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download dice.csv" }).ClickAsync());
        Assert.Equal("slice,dice\n1,0.75\n2,0.80\n", await File.ReadAllTextAsync(await download.PathAsync()));

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete dice.csv" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "dice.csv", Exact = true })).ToHaveCountAsync(0);
        Assert.True((await bob.GetDatasetAsync(table.Id)).Deleted);
    }

    [Fact]
    public async Task Files_chosen_on_the_page_upload_resumably_and_become_datasets()
    {
        var folder = Directory.CreateTempSubdirectory("ganymede-upload-").FullName;
        var table = Path.Combine(folder, "scores.csv");
        await File.WriteAllTextAsync(table, "slice,dice\n1,0.75\n");
        var blob = Path.Combine(folder, "weights.bin");
        var bytes = new byte[25_000_000];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(blob, bytes);

        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("uploads");
        var page = await web.SignedInAsync("alice@example.org");
        await page.GotoAsync($"/?history={history.Id}");
        await page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync([table, blob]);

        // Each file's progress reaches its end, then the datasets appear in the table, typed from their content.
        foreach (var name in new[] { "scores.csv", "weights.bin" })
            await Expect(page.Locator("#uploads li").Filter(new() { HasText = name }).Locator(".status")).ToHaveTextAsync("stored", new() { Timeout = 60_000 });
        await Expect(page.GetByLabel("Upload of weights.bin")).ToHaveJSPropertyAsync("value", 25_000_000);
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "weights.bin" }).Locator(".state")).ToHaveTextAsync("ok", new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "scores.csv" }).Locator(".state")).ToHaveTextAsync("ok");
        await WebFixture.CheckPageAsync(page, "history-uploaded");

        var contents = await alice.ListContentsAsync(history.Id);
        Assert.Equal(("csv", 18L), contents.Single(d => d.Name == "scores.csv") is var c ? (c.Type, c.FileSize) : default);
        var stored = Path.Combine(folder, "back.bin");
        await alice.DownloadAsync(contents.Single(d => d.Name == "weights.bin").Id, stored);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(stored));
        Directory.Delete(folder, recursive: true);
    }
}

