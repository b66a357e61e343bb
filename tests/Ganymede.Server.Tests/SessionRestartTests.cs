using Ganymede.Tests;
using System.Net;
using Ganymede.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Ganymede.Server.Storage;
using static Ganymede.Server.Tests.SessionDriver;

namespace Ganymede.Server.Tests;

/// <summary>A notebook session outlives a restart of its server: the new server reaches it, and it reaches the new server.</summary>
public sealed class SessionRestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("ganymede-restart-").FullName;

    private async Task<(WebApplication App, string Url)> StartServerAsync()
    {
        var app = GanymedeServer.Build(new ServerOptions
        {
            Urls = "http://127.0.0.1:0", DataDirectory = _data, Database = TestPostgres.UrlFor(_data),
            GanymedeCommand = ["dotnet", Path.Combine(AppContext.BaseDirectory, "ganymede.dll")],
        });
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    [Fact]
    public async Task A_running_session_stays_reachable_across_a_server_restart()
    {
        var (first, url) = await StartServerAsync();
        var key = first.Services.GetRequiredService<UserStore>().Create("carol@example.org", isAdmin: false).ApiKey;
        string job, history;
        using (var carol = new GanymedeClient(url, key))
        {
            history = (await carol.CreateHistoryAsync("outlives its server")).Id;
            (job, _) = await StartAsync(carol, history);
        }
        await first.StopAsync();
        await first.DisposeAsync();

        var (second, newUrl) = await StartServerAsync();
        try
        {
            using var carol = new GanymedeClient(newUrl, key);
            using var http = Http(newUrl, key);
            var target = await carol.WaitForSessionAsync(job, TimeSpan.FromMinutes(1));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(target + "api/kernelspecs")).StatusCode);
            // The session reaches the new server through the same door (the API socket's folder, bound into its sandbox).
            using var python = await NotebookKernel.StartAsync(target, key);
            Assert.Equal("'outlives its server'", await python.ExecuteAsync(
                "from bioblend.galaxy import GalaxyInstance\nimport os\nGalaxyInstance(os.environ['GALAXY_URL'], key=os.environ['API_KEY']).histories.show_history(os.environ['HISTORY_ID'])['name']"));
            Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/jobs/{job}")).StatusCode);
            Assert.Equal("ok", (await carol.WaitForJobAsync(job, TimeSpan.FromMinutes(2))).State);
        }
        finally
        {
            var (jobs, manager) = (second.Services.GetRequiredService<JobStore>(), second.Services.GetRequiredService<Ganymede.Server.Jobs.JobManager>());
            foreach (var running in jobs.InState(Storage.JobStates.Running)) manager.Cancel(running);
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
