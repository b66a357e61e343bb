using System.Globalization;
using Ganymede.Client;
using Ganymede.Formats.Datasets;
using Ganymede.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>
/// A notebook session as its user lives it, in Chromium: started on a history with covid.h5 chosen, opened from the
/// history, the starter notebooks run in Jupyter's own pages (a C# cell shows a CT slice, History.Put and Python's put
/// store files), stopped from its page: the notebooks and the files are in the history.
/// </summary>
public sealed class SessionPageTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task A_session_runs_the_starter_notebooks_and_its_work_lands_in_the_history()
    {
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("notebooks");
        var h5 = Path.Combine(web.DataDirectory, "covid.h5");
        var (slices, masks) = SliceSource.LoadPair(SharedData.CovidSemiSeg("train_im.nii.gz"), SharedData.CovidSemiSeg("train_mask.nii.gz"));
        var packed = SegmentationPacker.Pack(slices, masks, h5, new PackOptions(Size: 64, Valid: 0.2), "covid");
        var trainSlices = packed.Splits["train"];
        await alice.WaitForDatasetAsync((await alice.UploadAsync(history.Id, h5)).Id, TimeSpan.FromMinutes(1));

        var page = await web.SignedInAsync("alice@example.org");
        await page.GotoAsync($"/tools/interactive_tool_ganymede_notebook?history={history.Id}");
        await page.GetByLabel("Datasets").SelectOptionAsync(new SelectOptionValue { Label = "1: covid.h5 (h5)" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        var jobPage = page.Url;
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Open the notebook" })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await WebFixture.CheckPageAsync(page, "job-session");
        await page.GetByText("Connect from VS Code or JupyterLab").ClickAsync();
        await Expect(page.GetByTestId("session-token")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9a-f]{64}$"));

        // From the history, as Galaxy opens an interactive tool: Jupyter's page, through the proxy, signed in by the cookie.
        await page.GotoAsync($"/?history={history.Id}");
        var notebook = await page.Context.RunAndWaitForPageAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Open the notebook session making Notebook server log" }).ClickAsync());
        var tree = notebook.Url;
        await Expect(notebook.GetByRole(AriaRole.Link, new() { Name = "start_here.ipynb" })).ToBeVisibleAsync(new() { Timeout = 60_000 });

        // The C# starter: the slice appears as an image, and History.Put stores a table.
        await RunStarterAsync(notebook, tree, "start_here.ipynb");
        var image = notebook.Locator(".output_png img");
        await Expect(image).ToBeVisibleAsync(new() { Timeout = 120_000 });
        Assert.True(await image.EvaluateAsync<int>("img => img.naturalWidth") >= 64);
        await Expect(notebook.Locator(".output_area").Filter(new() { HasText = "stored as dataset" })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await SaveAsync(notebook);

        // The Python starter: put stores a summary, BioBlend lists the owner's histories.
        await RunStarterAsync(notebook, tree, "start_here_python.ipynb");
        await Expect(notebook.Locator(".output_area").Filter(new() { HasText = "['notebooks']" })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await SaveAsync(notebook);
        await notebook.CloseAsync();

        await page.GotoAsync(jobPage);
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop and save the notebooks" }).ClickAsync();
        await Expect(page.Locator("#logs-heading .state")).ToHaveTextAsync("ok", new() { Timeout = 60_000 });
        await page.GotoAsync($"/?history={history.Id}");
        foreach (var name in new[] { "start_here.ipynb", "start_here_python.ipynb", "infection_per_slice.csv", "h5_summary.txt" })
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true })).ToBeVisibleAsync();

        // What the C# notebook stored: a row per training slice, with the infected share of each.
        var table = (await alice.ListContentsAsync(history.Id)).Single(d => d.Name == "infection_per_slice.csv");
        var path = Path.Combine(web.DataDirectory, "infection.csv");
        await alice.DownloadAsync(table.Id, path);
        var rows = File.ReadAllLines(path).Skip(1).Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(trainSlices, rows.Count);
        Assert.All(rows, p => Assert.InRange(p, 0, 100));
        Assert.Contains(rows, p => p > 0);
    }

    /// <summary>Opens a notebook from the session's tree and runs all its cells from Jupyter's Cell menu.</summary>
    private static async Task RunStarterAsync(IPage notebook, string tree, string name)
    {
        await notebook.GotoAsync(tree);
        await notebook.GotoAsync((await notebook.GetByRole(AriaRole.Link, new() { Name = name }).GetAttributeAsync("href"))!);
        await Expect(notebook.Locator("#kernel_indicator_icon.kernel_idle_icon")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await notebook.Locator("#menus").GetByText("Cell", new() { Exact = true }).ClickAsync();
        await notebook.Locator("#run_all_cells").ClickAsync();
    }

    /// <summary>Saves the notebook once its cells have all run (no cell left waiting: "In [*]").</summary>
    private static async Task SaveAsync(IPage notebook)
    {
        await Expect(notebook.Locator(".input_prompt").Filter(new() { HasText = "[*]" })).ToHaveCountAsync(0, new() { Timeout = 120_000 });
        await Expect(notebook.Locator(".output_error")).ToHaveCountAsync(0);
        await notebook.Locator("#menus").GetByText("File", new() { Exact = true }).ClickAsync();
        await notebook.Locator("#save_checkpoint").ClickAsync();
        // Jupyter marks the notebook clean once the server has written it.
        await notebook.WaitForFunctionAsync("() => !Jupyter.notebook.dirty", null, new() { Timeout = 30_000 });
    }
}
