#:project ../src/Ganymede.Server/Ganymede.Server.csproj
#:project ../src/Ganymede.Client/Ganymede.Client.csproj
#:package Microsoft.Playwright
#:property PublishAot=false
// What the web pages cost (a benchmark, not a test), each beside a peer measured in the same run:
//   1. the server's time for a history page listing 1,000 datasets, against the API's listing of the same datasets;
//   2. the time from a job writing its first log line to the line showing on its page (server-sent events), against
//      a client polling the API every 200 ms;
//   3. a file uploaded through the page (tus-js-client in Chromium), against the .NET client's tus upload.
// Run: dotnet run -c Release bench/WebPages.cs -- [UPLOAD_MB=1024] [path/to/ganymede.dll=.artifacts/cli/ganymede.dll]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ganymede.Client;
using Ganymede.Server;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

int uploadMegabytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1024;
string dll = Path.GetFullPath(args.Length > 1 ? args[1] : ".artifacts/cli/ganymede.dll");
if (!File.Exists(dll)) { Console.Error.WriteLine($"{dll} not found: build it with ./ganymede info"); return 1; }
var data = Directory.CreateTempSubdirectory("ganymede-web-bench-").FullName;
const string Password = "benchmark password";
var app = GanymedeServer.Build(new ServerOptions { Urls = "http://127.0.0.1:0", DataDirectory = data, GanymedeCommand = ["/usr/bin/dotnet", dll] });
var users = app.Services.GetRequiredService<UserStore>();
var (user, key) = users.Create("bench@example.org", isAdmin: false);
users.SetPasswordHash(user.Id, Passwords.Hash(Password));
await app.StartAsync();
string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
using var client = new GanymedeClient(url, key);
try
{
    // 1. A history of 1,000 datasets, made in the stores as jobs would leave them.
    var history = await client.CreateHistoryAsync("a thousand datasets");
    var ids = app.Services.GetRequiredService<IdCodec>();
    var datasets = app.Services.GetRequiredService<DatasetStore>();
    for (int i = 0; i < 1000; i++)
    {
        ids.TryDecode(history.Id, out var historyId);
        var d = datasets.Create(historyId, user.Id, $"slice_{i:D4}.png", "png", Ganymede.Server.Storage.DatasetStates.Queued, null);
        datasets.SetState(d.Id, Ganymede.Server.Storage.DatasetStates.Ok);
    }
    using var browserLike = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(url) };
    var login = await browserLike.GetStringAsync("/login");
    var token = Regex.Match(login, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
    (await browserLike.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        { ["Email"] = "bench@example.org", ["Password"] = Password, ["__RequestVerificationToken"] = token }))).EnsureSuccessStatusCode();
    using var api = new HttpClient { BaseAddress = new Uri(url) };
    api.DefaultRequestHeaders.Add("x-api-key", key);
    var page = new List<double>();
    var listing = new List<double>();
    for (int i = 0; i < 25; i++)
    {
        page.Add(await TimeAsync(async () => Check(await browserLike.GetStringAsync($"/?history={history.Id}"), "slice_0999.png")));
        listing.Add(await TimeAsync(async () => Check(await api.GetStringAsync($"/api/histories/{history.Id}/contents"), "slice_0999.png")));
    }
    Console.WriteLine($"history page, 1,000 datasets: median {Median(page):F1} ms (API listing of the same: {Median(listing):F1} ms; ratio {Median(page) / Median(listing):F2})");

    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    var context = await browser.NewContextAsync(new() { BaseURL = url });
    var tab = await context.NewPageAsync();
    await tab.GotoAsync("/login");
    await tab.GetByLabel("E-mail").FillAsync("bench@example.org");
    await tab.GetByLabel("Password").FillAsync(Password);
    await tab.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    await tab.WaitForURLAsync(url.TrimEnd('/') + "/");

    // 2. A job prints the time, then waits: its page and an API poller each note when they first see the line.
    var logs = await client.CreateHistoryAsync("live logs");
    var pageDelays = new List<double>();
    var pollDelays = new List<double>();
    for (int i = 0; i < 5; i++)
    {
        var script = await client.PasteAsync(logs.Id, "Console.WriteLine(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());\nSystem.Threading.Thread.Sleep(4000);\n", $"clock{i}.csx");
        var run = await client.RunToolAsync(logs.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(script.Id) });
        var job = run.Jobs[0].Id;
        await tab.GotoAsync($"/jobs/{job}");
        var poller = Task.Run(async () =>
        {
            while (true)
            {
                var full = JsonNode.Parse(await api.GetStringAsync($"/api/jobs/{job}?full=true"))!;
                if (full["stdout"]?.ToString().Trim() is { Length: > 0 } line) return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - long.Parse(line, CultureInfo.InvariantCulture);
                await Task.Delay(200);
            }
        });
        var seen = await tab.WaitForFunctionAsync(
            "() => { const log = document.querySelector('[aria-label=\"Standard output\"]'); return log && log.textContent.trim().length > 0 ? Date.now() : null; }",
            null, new() { PollingInterval = 10, Timeout = 120_000 });
        var printed = long.Parse((await tab.Locator("[aria-label=\"Standard output\"]").TextContentAsync())!.Trim(), CultureInfo.InvariantCulture);
        pageDelays.Add(await seen.JsonValueAsync<double>() - printed);
        pollDelays.Add(await poller);
        await client.WaitForJobAsync(job, TimeSpan.FromMinutes(2));
    }
    Console.WriteLine($"first live log line on the job's page: median {Median(pageDelays):F0} ms after the job printed it (an API client polling every 200 ms: {Median(pollDelays):F0} ms; ratio {Median(pageDelays) / Median(pollDelays):F2})");

    // 3. The same file through the page and through the .NET client.
    var file = Path.Combine(data, "upload.bin");
    await using (var stream = File.Create(file))
    {
        var block = new byte[1 << 20];
        new Random(1).NextBytes(block);
        for (int i = 0; i < uploadMegabytes; i++) stream.Write(block);
    }
    var uploads = await client.CreateHistoryAsync("uploads");
    await tab.GotoAsync($"/?history={uploads.Id}");
    var clock = Stopwatch.StartNew();
    await tab.GetByLabel("Choose files, or drop them here").SetInputFilesAsync(file);
    await tab.Locator("#uploads li .status").Filter(new() { HasText = "stored" }).WaitForAsync(new() { Timeout = 1_800_000 });
    double browserSeconds = clock.Elapsed.TotalSeconds;
    clock.Restart();
    await client.UploadAsync(uploads.Id, file);
    double clientSeconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"upload of {uploadMegabytes:N0} MiB through the page: {uploadMegabytes / browserSeconds:F0} MiB/s ({browserSeconds:F1} s; the .NET client: {uploadMegabytes / clientSeconds:F0} MiB/s, {clientSeconds:F1} s; ratio {clientSeconds / browserSeconds:F2})");
    return 0;
}
finally
{
    await app.StopAsync();
    Directory.Delete(data, recursive: true);
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var clock = Stopwatch.StartNew();
    await action();
    return clock.Elapsed.TotalMilliseconds;
}

static void Check(string body, string expected)
{
    if (!body.Contains(expected, StringComparison.Ordinal)) throw new InvalidOperationException($"the response lacks {expected}");
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}
