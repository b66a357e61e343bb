using Ganymede.Tests;
using Deque.AxeCore.Playwright;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Ganymede.Server.Tests;

/// <summary>
/// A real server on a free loopback port that lets people register, with two users and an administrator who have passwords, and Debian's Chromium driven by
/// Playwright. Screenshots go to the test output folder (screenshots/).
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string Password = "correct horse battery";
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("ganymede-web-").FullName;
    public string Url { get; private set; } = "";
    public string AliceKey { get; private set; } = "";
    public string BobKey { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0", DataDirectory = DataDirectory, Database = TestPostgres.UrlFor(DataDirectory),
            GanymedeCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "ganymede.dll")],
            AllowRegistration = true,
        };
        _app = GanymedeServer.Build(options);
        var users = _app.Services.GetRequiredService<UserStore>();
        (AliceKey, BobKey) = (Create(users, "alice@example.org"), Create(users, "bob@example.org"));
        Create(users, "admin@example.org", isAdmin: true);
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _playwright = await Playwright.CreateAsync();
        // Expectations poll until they hold; on a busy 2-core CI machine a page can take longer than Playwright's 5 s.
        Assertions.SetDefaultExpectTimeout(30_000);
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-sync", "--disable-quic"],
        });
        Directory.CreateDirectory(Screenshots);
    }

    private static string Create(UserStore users, string email, bool isAdmin = false)
    {
        var (user, key) = users.Create(email, isAdmin);
        users.SetPasswordHash(user.Id, Passwords.Hash(Password));
        return key;
    }

    /// <summary>A fresh browser context (its own cookies), at 1280x800 unless the test asks for another size.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BaseURL = Url });
        return await context.NewPageAsync();
    }

    /// <summary>A fresh browser context signed in as <paramref name="email"/> (the fixture's users share one password).</summary>
    public async Task<IPage> SignedInAsync(string email)
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        return page;
    }

    /// <summary>No serious or critical accessibility violation (axe-core), and a screenshot to look at.</summary>
    public static async Task CheckPageAsync(IPage page, string name)
    {
        var results = await page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}").ToList();
        Assert.True(serious.Count == 0, $"{name}: {string.Join("; ", serious)}");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_app is not null)
        {
            // Jobs outlive their server by design (a restart picks them up); a test's must not outlive the test.
            var (jobs, manager) = (_app.Services.GetRequiredService<JobStore>(), _app.Services.GetRequiredService<Ganymede.Server.Jobs.JobManager>());
            foreach (var job in jobs.InState(JobStates.Running).Concat(jobs.InState(JobStates.Queued))) manager.Cancel(job);
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Directory.Delete(DataDirectory, recursive: true);
    }
}
