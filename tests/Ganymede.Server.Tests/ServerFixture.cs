using Ganymede.Tests;
using Ganymede.Server;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ganymede.Server.Tests;

/// <summary>A real server on a free loopback port, in this process, with two users and an administrator; jobs run the ganymede program beside the tests.</summary>
public class ServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("ganymede-server-").FullName;
    public string Url { get; private set; } = "";
    public string AliceKey { get; private set; } = "";
    public string BobKey { get; private set; } = "";
    public string AdminKey { get; private set; } = "";

    /// <summary>Every user's quota (the server's --quota); none unless a test's fixture says so.</summary>
    protected virtual UserQuota Quota => UserQuota.Unlimited;

    /// <summary>Jobs one user may run at once (the server's --max-running-per-user), and all users together.</summary>
    protected virtual (int? PerUser, int Total) RunningJobs => (null, 1);

    /// <summary>The server's options as a test's fixture wants them (GPUs, resource maxima, job limits).</summary>
    protected virtual ServerOptions Configure(ServerOptions options) => options;

    /// <summary>A client of the API with <paramref name="key"/>, or with none.</summary>
    public HttpClient Http(string? key)
    {
        var http = new HttpClient { BaseAddress = new Uri(Url) };
        if (key is not null) http.DefaultRequestHeaders.Add("x-api-key", key);
        return http;
    }

    /// <summary>The server's services, for what a test sets up as an administrator would.</summary>
    public IServiceProvider Services => _app!.Services;

    public async Task InitializeAsync()
    {
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0", DataDirectory = DataDirectory, Database = TestPostgres.UrlFor(DataDirectory),
            GanymedeCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "ganymede.dll")], Quota = Quota,
            MaxRunningPerUser = RunningJobs.PerUser, MaxConcurrentJobs = RunningJobs.Total,
            // As `serve --max-jobs` shares the cores out.
            SlotsPerJob = Math.Max(1, Environment.ProcessorCount / RunningJobs.Total),
        };
        _app = GanymedeServer.Build(Configure(options));
        var users = _app.Services.GetRequiredService<UserStore>();
        AliceKey = users.Create("alice@example.org", isAdmin: false).ApiKey;
        BobKey = users.Create("bob@example.org", isAdmin: false).ApiKey;
        AdminKey = users.Create("admin@example.org", isAdmin: true).ApiKey;
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
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
