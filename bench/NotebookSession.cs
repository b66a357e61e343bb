#:project ../src/Ganymede.Server/Ganymede.Server.csproj
#:project ../src/Ganymede.Client/Ganymede.Client.csproj
#:property PublishAot=false
// What a notebook session costs (a benchmark, not a test), each beside a peer measured in the same run:
//   1. from "Run" (POST /api/tools) to Jupyter's page answering through the proxy, against Debian's Jupyter started
//      by hand on a Unix socket (no server, no sandbox) until its page answers;
//   2. a cell's round trip (execute 1+1, result back) through the proxy's WebSocket, against the same kernel reached
//      straight at the session's socket with Jupyter's own token.
// Run: dotnet run -c Release bench/NotebookSession.cs -- [SESSIONS=5] [CELLS=200] [path/to/ganymede.dll=.artifacts/cli/ganymede.dll]
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Ganymede.Client;
using Ganymede.Server;
using Ganymede.Server.Sessions;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

int sessions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
int cells = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
string dll = Path.GetFullPath(args.Length > 2 ? args[2] : ".artifacts/cli/ganymede.dll");
if (!File.Exists(dll)) { Console.Error.WriteLine($"{dll} not found: build it with ./ganymede info"); return 1; }
var data = Directory.CreateTempSubdirectory("ganymede-session-bench-").FullName;
var app = GanymedeServer.Build(new ServerOptions { Urls = "http://127.0.0.1:0", DataDirectory = data, GanymedeCommand = ["/usr/bin/dotnet", dll] });
var (_, key) = app.Services.GetRequiredService<UserStore>().Create("bench@example.org", isAdmin: false);
await app.StartAsync();
string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
using var client = new GanymedeClient(url, key);
using var api = new HttpClient { BaseAddress = new Uri(url) };
api.DefaultRequestHeaders.Add("x-api-key", key);
try
{
    var history = await client.CreateHistoryAsync("bench");
    // 1. Start times, the session's and bare Jupyter's, alternating.
    var session = new List<double>();
    var bare = new List<double>();
    for (int i = 0; i < sessions; i++)
    {
        var clock = Stopwatch.StartNew();
        var job = (await client.RunToolAsync(history.Id, "interactive_tool_ganymede_notebook", [])).Jobs[0].Id;
        var target = await client.WaitForSessionAsync(job, TimeSpan.FromMinutes(2));
        while (!(await api.GetAsync(target + "tree")).IsSuccessStatusCode) await Task.Delay(20);
        session.Add(clock.Elapsed.TotalSeconds);
        await client.CancelJobAsync(job);
        await client.WaitForJobAsync(job, TimeSpan.FromMinutes(1));
        bare.Add(await BareJupyterAsync());
    }
    Console.WriteLine($"start to a usable notebook page: session {Median(session):F2} s, bare Jupyter {Median(bare):F2} s (median of {sessions}; " +
        $"ratio {Median(session) / Median(bare):F2})");

    // 2. One session, one Python kernel, two ways to it.
    var run = (await client.RunToolAsync(history.Id, "interactive_tool_ganymede_notebook", [])).Jobs[0].Id;
    var url2 = await client.WaitForSessionAsync(run, TimeSpan.FromMinutes(2));
    app.Services.GetRequiredService<IdCodec>().TryDecode(run, out var jobId);
    var notebooks = app.Services.GetRequiredService<NotebookSessions>();
    using var proxied = await NotebookKernel.StartAsync(url2, key);
    using var straight = await NotebookKernel.StartAsync(new Uri("http://localhost" + url2.AbsolutePath), null, authorization: "token " + notebooks.Token(jobId),
        invoker: notebooks.Client(jobId));
    var viaProxy = new List<double>();
    var direct = new List<double>();
    for (int i = 0; i < cells + 20; i++)
    {
        var a = await TimeAsync(() => proxied.ExecuteAsync("1+1"));
        var b = await TimeAsync(() => straight.ExecuteAsync("1+1"));
        if (i < 20) continue; // warm-up
        viaProxy.Add(a);
        direct.Add(b);
    }
    Console.WriteLine($"cell round trip: through the proxy {Median(viaProxy):F2} ms, straight to the socket {Median(direct):F2} ms " +
        $"(median of {cells}; the proxy adds {Median(viaProxy) - Median(direct):F2} ms)");
    await client.CancelJobAsync(run);
    await client.WaitForJobAsync(run, TimeSpan.FromMinutes(1));
}
finally
{
    await app.StopAsync();
    Directory.Delete(data, recursive: true);
}
return 0;

// Debian's Jupyter as a user would start it, on a Unix socket, timed until its page answers.
static async Task<double> BareJupyterAsync()
{
    var dir = Directory.CreateTempSubdirectory("bare-jupyter-").FullName;
    var socket = Path.Combine(dir, "nb.sock");
    var clock = Stopwatch.StartNew();
    var start = new ProcessStartInfo("/usr/bin/python3", ["-m", "notebook", "--no-browser", "--allow-root", $"--sock={socket}", $"--NotebookApp.notebook_dir={dir}"])
        { RedirectStandardError = true, RedirectStandardOutput = true };
    start.Environment["JUPYTER_TOKEN"] = "bench";
    start.Environment["JUPYTER_RUNTIME_DIR"] = dir;
    using var jupyter = Process.Start(start)!;
    jupyter.ErrorDataReceived += (_, _) => { };
    jupyter.BeginErrorReadLine();
    jupyter.BeginOutputReadLine();
    using var http = new HttpClient(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancel) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancel);
            return new NetworkStream(s, ownsSocket: true);
        },
    });
    http.DefaultRequestHeaders.Add("Authorization", "token bench");
    while (true)
    {
        if (jupyter.HasExited) throw new InvalidOperationException($"Jupyter exited with code {jupyter.ExitCode}");
        try { if ((await http.GetAsync("http://localhost/tree")).IsSuccessStatusCode) break; }
        catch (HttpRequestException) { }
        await Task.Delay(20);
    }
    double seconds = clock.Elapsed.TotalSeconds;
    jupyter.Kill(entireProcessTree: true);
    await jupyter.WaitForExitAsync();
    Directory.Delete(dir, recursive: true);
    return seconds;
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var clock = Stopwatch.StartNew();
    await action();
    return clock.Elapsed.TotalMilliseconds;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
