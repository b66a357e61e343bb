using Ganymede.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>The jobs list and a job's page in a real browser: logs that grow while it runs, cancel, run again.</summary>
public sealed class JobPageTests(WebFixture web) : IClassFixture<WebFixture>
{
    private static ILocator Log(IPage page, string name) => page.GetByLabel(name, new() { Exact = true });

    [Fact]
    public async Task A_jobs_log_grows_on_its_page_while_it_runs_and_it_runs_again()
    {
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("jobs");
        var script = await alice.PasteAsync(history.Id,
            // Twenty seconds between the lines: time for the page to show the first alone, even on a busy machine.
            "Console.WriteLine(\"first line\");\nSystem.Threading.Thread.Sleep(20_000);\nConsole.WriteLine(\"second line\");\n", "two-lines.csx");
        var run = await alice.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(script.Id) });

        var page = await web.SignedInAsync("alice@example.org");
        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs", Exact = true }).ClickAsync();
        await page.GetByLabel("Tool").SelectOptionAsync("ganymede_run_script");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await WebFixture.CheckPageAsync(page, "jobs");
        await page.GetByRole(AriaRole.Link, new() { Name = "Run a C# script or notebook" }).First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/jobs/{run.Jobs[0].Id}$"));

        // The first line appears while the job still runs, then the second, without the page being loaded again.
        await page.EvaluateAsync("window.notReloaded = true");
        await Expect(Log(page, "Standard output")).ToHaveTextAsync("first line\n", new() { Timeout = 60_000 });
        await Expect(page.Locator("#logs-heading .state")).ToHaveTextAsync("running");
        await Expect(Log(page, "Standard output")).ToHaveTextAsync("first line\nsecond line\n", new() { Timeout = 60_000 });
        await Expect(page.Locator("#logs-heading .state")).ToHaveTextAsync("ok", new() { Timeout = 60_000 });
        Assert.True(await page.EvaluateAsync<bool>("window.notReloaded === true"));
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Job Runtime" })).ToHaveCountAsync(0); // facts are a list, not a table
        await Expect(page.GetByText("Job Runtime (Wall Clock)")).ToBeVisibleAsync();
        await WebFixture.CheckPageAsync(page, "job");

        await page.GetByRole(AriaRole.Button, new() { Name = "Run again" }).ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/jobs/{run.Jobs[0].Id}$"));
        await Expect(Log(page, "Standard output")).ToHaveTextAsync("first line\nsecond line\n", new() { Timeout = 90_000 });
        Assert.Equal(2, (await alice.ListContentsAsync(history.Id)).Count(d => d.Name == "Log"));
    }

    [Fact]
    public async Task A_running_job_is_cancelled_from_its_page()
    {
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("cancel");
        var script = await alice.PasteAsync(history.Id, "System.Threading.Thread.Sleep(120_000);\n", "long.csx");
        var run = await alice.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(script.Id) });
        var page = await web.SignedInAsync("alice@example.org");
        await page.GotoAsync($"/jobs/{run.Jobs[0].Id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.Locator("#logs-heading .state")).ToHaveTextAsync("deleted");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToHaveCountAsync(0);
        Assert.Equal("deleted", (await alice.GetJobAsync(run.Jobs[0].Id)).State);
    }
}
