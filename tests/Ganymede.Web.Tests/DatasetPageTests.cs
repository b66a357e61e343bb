using System.Text.Json.Nodes;
using Ganymede.Client;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Png;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>Datasets shown as what they are: an H5 tree with a picture, a sortable table, curves, a notebook, a PNG; and the dashboard.</summary>
public sealed class DatasetPageTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task Each_kind_of_dataset_has_its_view()
    {
        var folder = Directory.CreateTempSubdirectory("ganymede-views-").FullName;
        var h5 = Path.Combine(folder, "covid.h5");
        using (var f = H5File.Create(h5))
        {
            // A 2 x 16 x 16 x 1 stack whose first image is a left-to-right ramp: its picture must be that ramp.
            var images = new float[2 * 16 * 16];
            for (int i = 0; i < 256; i++) images[i] = i % 16;
            using (var group = f.CreateGroup("train"))
            {
                group.SetAttribute("source", "COVID-SemiSeg");
                group.CreateDataset<float>("X", images, [2, 16, 16, 1]).Dispose();
            }
            f.CreateDataset<float>("scores", new float[3], [3]).Dispose();
            f.Commit();
        }
        var metrics = Path.Combine(folder, "metrics.csv");
        await File.WriteAllTextAsync(metrics, "epoch,train_loss,valid_loss,dice\n1,0.9,0.8,0.5\n2,0.7,0.75,0.61\n3,0.6,0.7,0.58\n");
        var picture = Path.Combine(folder, "slice.png");
        new PngImage(4, 3, 1, [0, 50, 100, 150, 200, 250, 0, 50, 100, 150, 200, 250]).Save(picture);
        var notebook = Path.Combine(folder, "analysis.ipynb");
        var pixel = Convert.ToBase64String(new PngImage(2, 2, 1, [0, 255, 255, 0]).Encode());
        await File.WriteAllTextAsync(notebook, new JsonObject
        {
            ["nbformat"] = 4, ["nbformat_minor"] = 5, ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["language"] = "C#", ["name"] = "ganymede" } },
            ["cells"] = new JsonArray(
                new JsonObject { ["cell_type"] = "markdown", ["source"] = "# Infection masks\n\nWhat the model found.", ["metadata"] = new JsonObject() },
                new JsonObject
                {
                    ["cell_type"] = "code", ["execution_count"] = 1, ["source"] = new JsonArray("var x = 6 * 7;\n", "x"), ["metadata"] = new JsonObject(),
                    ["outputs"] = new JsonArray(
                        new JsonObject { ["output_type"] = "execute_result", ["execution_count"] = 1, ["data"] = new JsonObject { ["text/plain"] = "42", ["text/html"] = "<script>alert(1)</script>" }, ["metadata"] = new JsonObject() },
                        new JsonObject { ["output_type"] = "display_data", ["data"] = new JsonObject { ["image/png"] = pixel }, ["metadata"] = new JsonObject() }),
                }),
        }.ToJsonString());

        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("views");
        var ids = new Dictionary<string, string>();
        foreach (var path in new[] { h5, metrics, notebook, picture })
            ids[Path.GetFileName(path)] = (await alice.WaitForDatasetAsync((await alice.UploadAsync(history.Id, path)).Id, TimeSpan.FromMinutes(1))).Id;

        var page = await web.SignedInAsync("alice@example.org");
        await page.GotoAsync($"/datasets/{ids["covid.h5"]}");
        await Expect(page.Locator("ul.tree li").Filter(new() { HasText = "/train/X" }).Locator(".meta")).ToHaveTextAsync("float32 [2 × 16 × 16 × 1]");
        await Expect(page.Locator("ul.tree li").Filter(new() { HasText = "/train" }).First.Locator("dl.attributes")).ToContainTextAsync("COVID-SemiSeg");
        var first = page.GetByRole(AriaRole.Img, new() { Name = "The first image of /train/X" });
        await Expect(first).ToHaveJSPropertyAsync("naturalWidth", 16);
        var png = PngImage.Decode(await (await page.APIRequest.GetAsync((await first.GetAttributeAsync("src"))!)).BodyAsync(), "picture");
        Assert.Equal(Enumerable.Range(0, 16).Select(x => (ushort)Math.Round(x * 17.0)), png.Samples.Take(16));
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "The first image of /scores" })).ToHaveCountAsync(0);
        await WebFixture.CheckPageAsync(page, "dataset-h5");

        await page.GotoAsync($"/datasets/{ids["metrics.csv"]}");
        await Expect(page.Locator("figure.chart polyline")).ToHaveCountAsync(3);
        var dice = page.Locator("table.sortable tbody tr td:nth-child(4)");
        await Expect(dice).ToHaveTextAsync(["0.5", "0.61", "0.58"]);
        await page.GetByRole(AriaRole.Button, new() { Name = "dice" }).ClickAsync();
        await Expect(dice).ToHaveTextAsync(["0.5", "0.58", "0.61"]);
        await page.GetByRole(AriaRole.Button, new() { Name = "dice" }).ClickAsync();
        await Expect(dice).ToHaveTextAsync(["0.61", "0.58", "0.5"]);
        await Expect(page.Locator("th[aria-sort=descending]")).ToHaveTextAsync("dice");
        await WebFixture.CheckPageAsync(page, "dataset-csv");

        await page.GotoAsync($"/datasets/{ids["slice.png"]}");
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "slice.png" })).ToHaveJSPropertyAsync("naturalHeight", 3);
        await WebFixture.CheckPageAsync(page, "dataset-png");

        // Another user's dataset is an error page, in words, like any page.
        var bob = await web.SignedInAsync("bob@example.org");
        Assert.Equal(403, (await bob.GotoAsync($"/datasets/{ids["slice.png"]}"))!.Status);
        await Expect(bob.GetByRole(AriaRole.Alert)).ToContainTextAsync("belongs to another user");
        await WebFixture.CheckPageAsync(bob, "error-403");

        await page.GotoAsync($"/datasets/{ids["analysis.ipynb"]}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Infection masks" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Code cell 1")).ToHaveTextAsync("var x = 6 * 7;\nx");
        await Expect(page.GetByLabel("Output of cell 1")).ToHaveTextAsync("42");
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "An output of cell 1" })).ToHaveJSPropertyAsync("naturalWidth", 2);
        await Expect(page.Locator("main script")).ToHaveCountAsync(0);
        await page.SetViewportSizeAsync(390, 800);
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await WebFixture.CheckPageAsync(page, "dataset-notebook-narrow-dark");
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task The_dashboard_shows_the_machine_and_whose_jobs_run()
    {
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var history = await alice.CreateHistoryAsync("busy");
        var script = await alice.PasteAsync(history.Id, "System.Threading.Thread.Sleep(120_000);\n", "long.csx");
        var run = await alice.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(script.Id) });
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await alice.GetJobAsync(run.Jobs[0].Id)).State != "running" && DateTime.UtcNow < deadline) await Task.Delay(100);

        var admin = await web.SignedInAsync("admin@example.org");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
        await Expect(admin.Locator("#cpu-heading")).ToContainTextAsync($"of {Environment.ProcessorCount} cores");
        await Expect(admin.Locator(".cores > div")).ToHaveCountAsync(Environment.ProcessorCount);
        bool smi = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "nvidia-smi")));
        if (!smi) await Expect(admin.Locator("section[aria-labelledby=gpu-heading]")).ToContainTextAsync("no GPU: nvidia-smi is not installed on this machine");
        await Expect(admin.GetByRole(AriaRole.Row).Filter(new() { HasText = "alice@example.org" }).Locator("td").Nth(1)).ToHaveTextAsync("1");
        await WebFixture.CheckPageAsync(admin, "dashboard");

        // Alice sees her own share, not the table of users; the figures refresh without a reload.
        var page = await web.SignedInAsync("alice@example.org");
        await page.GotoAsync("/dashboard");
        await Expect(page.Locator("#queue-heading + p + p")).ToHaveTextAsync("Yours: 1 running, 0 waiting");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Jobs by user" })).ToHaveCountAsync(0);
        using (var http = new HttpClient { BaseAddress = new Uri(web.Url) })
        {
            http.DefaultRequestHeaders.Add("x-api-key", web.AliceKey);
            (await http.DeleteAsync($"/api/jobs/{run.Jobs[0].Id}")).EnsureSuccessStatusCode();
        }
        await Expect(page.Locator("#queue-heading + p + p")).ToHaveTextAsync("Yours: 0 running, 0 waiting", new() { Timeout = 30_000 });
    }
}
