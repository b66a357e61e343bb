using System.Text.RegularExpressions;
using Ganymede.Client;
using Ganymede.Formats.Nifti;
using Ganymede.Formats.Png;
using Ganymede.Tests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Ganymede.Server.Tests;

/// <summary>
/// The COVID-19 use case done in the browser, from upload to overlay: upload the CT volume and its mask, look at them
/// in the slice viewer, pack them, train twice, read the model card, predict, lay the prediction over the CT, compare
/// the runs; and a second user who can open none of it.
/// </summary>
public sealed class UseCaseTests(WebFixture web) : IClassFixture<WebFixture>
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_use_case_runs_from_upload_to_overlay_in_the_browser()
    {
        string ct = SharedData.CovidSemiSeg("train_im.nii.gz"), truth = SharedData.CovidSemiSeg("train_mask.nii.gz");
        var page = await web.SignedInAsync("alice@example.org");
        await page.GetByLabel("Name of the new history").FillAsync("COVID-19 CT");
        await page.GetByRole(AriaRole.Button, new() { Name = "New history" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "COVID-19 CT", Level = 1 })).ToBeVisibleAsync();

        // Upload, with each file's progress shown to its end.
        await page.GetByLabel("Choose files, or drop them here").SetInputFilesAsync([ct, truth]);
        foreach (var name in new[] { "train_im.nii.gz", "train_mask.nii.gz" })
        {
            await Expect(page.Locator("#uploads li").Filter(new() { HasText = name }).Locator(".status")).ToHaveTextAsync("stored", new() { Timeout = 60_000 });
            await Expect(page.GetByLabel($"Upload of {name}")).ToHaveJSPropertyAsync("value", new FileInfo(name == "train_im.nii.gz" ? ct : truth).Length);
            await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = name }).Locator(".state")).ToHaveTextAsync("ok", new() { Timeout = 60_000 });
        }

        // The volume in the slice viewer, the mask over it: the tinted pixels are exactly the mask's.
        await page.GetByRole(AriaRole.Link, new() { Name = "train_im.nii.gz", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Slices" })).ToBeVisibleAsync();
        var masks = NiftiImage.Load(truth);
        int k = BusiestSlice(masks);
        await page.Locator("#slice").FillAsync(k.ToString());
        await ChooseAsync(page, "Mask over it", "train_mask.nii.gz");
        Assert.Equal(Count(masks, k), await TintedPixelsAsync(page));
        await WebFixture.CheckPageAsync(page, "dataset-nifti");
        var ctPage = page.Url;

        // Pack: a refused form keeps what was chosen and says what is wrong by the field; then it runs.
        await page.GetByRole(AriaRole.Link, new() { Name = "Tools", Exact = true }).ClickAsync();
        await WebFixture.CheckPageAsync(page, "tools");
        await page.GetByRole(AriaRole.Link, new() { Name = "Pack images and masks for training" }).ClickAsync();
        await ChooseAsync(page, "Images (required)", "train_im.nii.gz");
        await ChooseAsync(page, "Masks (required)", "train_mask.nii.gz");
        await page.GetByLabel("Slice size").FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Expect(page.Locator("#error-size")).ToHaveTextAsync("Size 50 must be a multiple of 16: the UNet halves its input four times.");
        await Expect(page.GetByLabel("Slice size")).ToHaveValueAsync("50");
        await Expect(page.GetByLabel("Images (required)")).ToHaveValuesAsync([new Regex(".+")]);
        await WebFixture.CheckPageAsync(page, "tool-form-refused");
        await page.GetByLabel("Slice size").FillAsync("64");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await WaitForJobAsync(page, "ok");

        // Two trainings: 2 epochs, then 40 with another seed, whose curves draw while it runs.
        var shortRun = await TrainAsync(page, epochs: 2, seed: 0);
        await WaitForJobAsync(page, "ok");
        await Expect(page.Locator("figure.chart polyline").First).ToHaveAttributeAsync("points", new Regex(@"^\S+ \S+$"));
        await WebFixture.CheckPageAsync(page, "job-training");
        var longRun = await TrainAsync(page, epochs: 40, seed: 1);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Training curves (drawn as the job runs)" })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Training curves", Exact = true })).ToBeVisibleAsync(new() { Timeout = (float)JobTimeout.TotalMilliseconds });
        await WaitForJobAsync(page, "ok");
        Assert.Equal(40, (await page.Locator("figure.chart polyline").First.GetAttributeAsync("points"))!.Split(' ').Length);

        // The model card: its parameter count is the one onnx (the Python peer) counts.
        await page.GetByRole(AriaRole.Link, new() { Name = "Trained model (ONNX)" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Model card" })).ToBeVisibleAsync();
        var modelId = page.Url.Split('/')[^1];
        using var alice = new GanymedeClient(web.Url, web.AliceKey);
        var folder = Directory.CreateTempSubdirectory("ganymede-usecase-").FullName;
        var model = Path.Combine(folder, "model.onnx");
        await alice.DownloadAsync(modelId, model);
        var expected = long.Parse(Peers.Python($"import onnx, numpy\nm = onnx.load('{model}')\nprint(sum(int(numpy.prod(i.dims)) for i in m.graph.initializer))"));
        await Expect(page.Locator("dt:text-is('Parameters') + dd")).ToHaveTextAsync(expected.ToString("N0"));
        await Expect(page.Locator("ul.operators")).ToContainTextAsync("Conv");
        await WebFixture.CheckPageAsync(page, "dataset-onnx");

        // Predict with the longer run's model; its masks over the CT are exactly the predicted voxels, and they find the infection.
        await page.GotoAsync("/tools/ganymede_predict");
        await page.GetByLabel("Model (required)").SelectOptionAsync(modelId);
        await ChooseAsync(page, "Images (required)", "train_im.nii.gz");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await WaitForJobAsync(page, "ok");
        var predictedId = (await page.GetByRole(AriaRole.Link, new() { Name = "Predicted masks" }).GetAttributeAsync("href"))!.Split('/')[^1];
        var predictedPath = Path.Combine(folder, "masks.nii.gz");
        await alice.DownloadAsync(predictedId, predictedPath);
        var predicted = NiftiImage.Load(predictedPath);
        Assert.True(Dice(predicted, masks) > 0.3, $"Dice of the prediction: {Dice(predicted, masks):F3}");
        await page.GotoAsync($"{ctPage}?mask={predictedId}");
        await page.Locator("#slice").FillAsync(k.ToString());
        int tinted = await TintedPixelsAsync(page);
        Assert.Equal(Count(predicted, k), tinted);
        Assert.True(tinted > 0);
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await WebFixture.CheckPageAsync(page, "dataset-nifti-prediction-dark");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });

        // Compare the two runs: curves overlaid, the parameters that differ marked, the figures side by side.
        await page.GetByRole(AriaRole.Link, new() { Name = "Compare runs" }).ClickAsync();
        await page.GetByLabel(new Regex("epochs 2,")).CheckAsync();
        await page.GetByLabel(new Regex("epochs 40,")).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Compare" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = "epochs (differs)" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = "seed (differs)" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = "preset", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "epochs run" }).Locator("td")).ToHaveTextAsync(["40", "2"]);
        await Expect(page.Locator("ul.legend").First).ToContainTextAsync("run 2: train_loss");
        await WebFixture.CheckPageAsync(page, "compare");

        // A second user opens none of it, by any URL.
        var bob = await web.SignedInAsync("bob@example.org");
        foreach (var url in new[] { ctPage, $"/datasets/{modelId}", $"/jobs/{longRun}", $"/compare?jobs={shortRun}", $"{ctPage}?handler=Slice&k=0" })
            Assert.Equal(403, (await bob.GotoAsync(url))!.Status);
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Opens the training tool's form, runs it on the packed data, and returns the new job's id (its page is open).</summary>
    private static async Task<string> TrainAsync(IPage page, int epochs, int seed)
    {
        await page.GotoAsync("/tools/ganymede_train_unet");
        await ChooseAsync(page, "Training data (required)", "Packed training data");
        await page.GetByLabel("Epochs").FillAsync(epochs.ToString());
        await page.GetByLabel("Seed").FillAsync(seed.ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/jobs/[0-9a-f]+$"));
        return page.Url.Split('/')[^1];
    }

    /// <summary>Chooses the option of a select whose text contains <paramref name="text"/> (datasets' numbers depend on which upload ended first).</summary>
    private static async Task ChooseAsync(IPage page, string label, string text)
    {
        var select = page.GetByLabel(label);
        var value = await select.Locator("option", new() { HasText = text }).GetAttributeAsync("value");
        await select.SelectOptionAsync(value!);
    }

    private static async Task WaitForJobAsync(IPage page, string state)
    {
        await Expect(page).ToHaveURLAsync(new Regex("/jobs/[0-9a-f]+$"));
        await Expect(page.Locator("#logs-heading .state")).ToHaveTextAsync(state, new() { Timeout = (float)JobTimeout.TotalMilliseconds });
    }

    /// <summary>The pixels of the viewer's picture tinted by the mask (grey ones have equal red and green).</summary>
    private static async Task<int> TintedPixelsAsync(IPage page)
    {
        var image = page.Locator("#slice-image");
        await Expect(image).ToHaveJSPropertyAsync("complete", true);
        var response = await page.APIRequest.GetAsync((await image.GetAttributeAsync("src"))!);
        Assert.Equal(200, response.Status);
        var png = PngImage.Decode(await response.BodyAsync(), "slice");
        return Enumerable.Range(0, png.Width * png.Height).Count(i => png.Samples[i * 3] != png.Samples[i * 3 + 1]);
    }

    private static int Count(NiftiImage masks, int k) => masks.Slice(k).ToArray().Count(v => v > 0);

    private static int BusiestSlice(NiftiImage masks) => Enumerable.Range(0, masks.Data.size(0)).MaxBy(k => Count(masks, k));

    private static double Dice(NiftiImage predicted, NiftiImage truth)
    {
        float[] p = predicted.Data.ToArray(), t = truth.Data.ToArray();
        long both = 0, sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            bool a = p[i] > 0, b = t[i] > 0;
            if (a && b) both++;
            sum += (a ? 1 : 0) + (b ? 1 : 0);
        }
        return 2.0 * both / Math.Max(1, sum);
    }
}
