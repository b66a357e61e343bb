using Ganymede.Client;
using Ganymede.Formats.Hdf5;
using Ganymede.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>
/// A notebook pipeline from the browser: import the example .ga, run it from the form made from its inputs (the first
/// notebook's parameters set papermill's way), and watch its graph: each step's state changes on the page without a
/// reload, until the second notebook has read the first one's array.
/// </summary>
public sealed class WorkflowPageTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task A_notebook_pipeline_is_imported_run_and_watched_live_in_the_browser()
    {
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("notebook pipeline");
        foreach (var notebook in new[] { "make-series.ipynb", "summarise.ipynb" })
            await alice.WaitForDatasetAsync((await alice.UploadAsync(history.Id, RepositoryFiles.Example("workflows/notebook-pipeline/" + notebook))).Id, TimeSpan.FromMinutes(1));

        var page = await web.SignedInAsync("alice@example.org");
        await page.GetByRole(AriaRole.Link, new() { Name = "Workflows", Exact = true }).ClickAsync();
        await page.GetByLabel("Galaxy workflow file (.ga)").SetInputFilesAsync(RepositoryFiles.Example("workflows/notebook-pipeline/pipeline.ga"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Notebook pipeline: a series, then its summary", Level = 1 })).ToBeVisibleAsync();
        await WebFixture.CheckPageAsync(page, "workflow");

        // The form names each input step; a missing notebook is refused with the step, keeping what was chosen.
        await page.GetByLabel("first notebook (required)").SelectOptionAsync(new SelectOptionValue { Label = "1: make-series.ipynb (ipynb)" });
        await Expect(page.GetByLabel("series parameters")).ToHaveValueAsync("""{"count":4,"scale":1.0}""");
        await page.GetByLabel("series parameters").FillAsync("""{"count": 5, "scale": 2}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run workflow" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("input step 1 ('second notebook') has no value");
        await Expect(page.GetByLabel("series parameters")).ToHaveValueAsync("""{"count": 5, "scale": 2}""");
        await page.GetByLabel("second notebook (required)").SelectOptionAsync(new SelectOptionValue { Label = "2: summarise.ipynb (ipynb)" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Run workflow" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Progress:" })).ToBeVisibleAsync();

        // The summary waits for the series; both end ok, seen by the same page.
        await page.EvaluateAsync("window.notReloaded = true");
        var summary = page.Locator("svg g[data-step='4']");
        await Expect(summary).Not.ToHaveAttributeAsync("data-state", "ok");
        await Expect(page.Locator("svg g[data-step='3']")).ToHaveAttributeAsync("data-state", "ok", new() { Timeout = 120_000 });
        await Expect(summary).ToHaveAttributeAsync("data-state", "ok", new() { Timeout = 120_000 });
        await Expect(page.Locator("#invocation-state")).ToHaveTextAsync("scheduled");
        Assert.True(await page.EvaluateAsync<bool>("window.notReloaded === true"));
        await WebFixture.CheckPageAsync(page, "invocation");

        // The second notebook read the first one's array (count 5, scale 2: 2 4 6 8 10) and its weight (0.5).
        var invocation = await alice.GetInvocationAsync(page.Url.Split('/')[^1]);
        var path = Path.Combine(web.DataDirectory, "summary.h5");
        await alice.DownloadAsync(invocation.Outputs!["summary"].Id, path);
        using var arrays = H5File.Open(path);
        Assert.Equal([15.0], arrays.Dataset("total").Read<double>());
        Assert.Equal([0.2, 0.4, 0.6, 0.8, 1.0], arrays.Dataset("normalised").Read<double>());

        // Its jobs and outputs are one click away, the files a notebook wrote in outputs/ among them.
        await Expect(page.Locator("tr[data-step='3']").GetByRole(AriaRole.Link, new() { Name = "output_stats.h5" })).ToBeVisibleAsync();
        await page.Locator("tr[data-step='4']").GetByRole(AriaRole.Link, new() { Name = "outfile_output_arrays" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Saved arrays");
    }
}
