using System.Net;
using System.Text.Json.Nodes;
using Ganymede.Client;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Tests;

/// <summary>
/// A server with two (made-up) GPUs, jobs limited to 1 GiB and 1 h unless they ask for more, at most 2 GiB, 2 h and
/// every core of this machine; four jobs may run at once, as their cores and GPUs allow.
/// </summary>
public sealed class ResourceServer : ServerFixture
{
    public static int MachineCores { get; } = Cores.Allowed().Count;

    protected override (int? PerUser, int Total) RunningJobs => (null, 4);

    protected override ServerOptions Configure(ServerOptions options) => options with
    {
        Gpus = ["0", "1"],
        JobLimits = JobLimits.Default with { MemoryBytes = 1L << 30, WallTime = TimeSpan.FromHours(1) },
        MaxResources = new JobResources(MachineCores, 2L << 30, TimeSpan.FromHours(2), Gpus: 2),
    };
}

/// <summary>
/// Galaxy's job resource parameters: each tool's form has a `__job_resource` section with its defaults and the maxima;
/// a request beyond them is a 400 naming each resource; a job gets what it asked for (its cores, GPUs, memory and time
/// limits, and its metrics say so); and a job waits, saying why, until the cores and GPUs it asks for are free.
/// </summary>
public sealed class ResourceRequestTests(ResourceServer server) : IClassFixture<ResourceServer>
{
    private const string Slow = "System.Threading.Thread.Sleep(120_000);";

    [Fact]
    public async Task The_tool_form_has_a_resource_section_with_the_tools_defaults_and_the_maxima()
    {
        using var http = server.Http(server.AliceKey);
        foreach (var (tool, cores) in new[] { ("cat1", 1), ("ganymede_run_script", Math.Max(1, Environment.ProcessorCount / 4)) })
        {
            var model = JsonNode.Parse(await http.GetStringAsync($"/api/tools/{tool}?io_details=true"))!;
            var section = model["inputs"]!.AsArray().Last()!;
            Assert.Equal(("Conditional", "__job_resource", "__job_resource__select"), (section["model_class"]!.ToString(), section["name"]!.ToString(), section["test_param"]!["name"]!.ToString()));
            var asked = section["cases"]!.AsArray().Single(c => c!["value"]!.ToString() == "yes")!["inputs"]!.AsArray()
                .ToDictionary(i => i!["name"]!.ToString(), i => (Value: i!["value"]!.GetValue<double>(), Max: i["max"]!.GetValue<double>()));
            Assert.Equal((cores, ResourceServer.MachineCores), ((int)asked["cores"].Value, (int)asked["cores"].Max));
            Assert.Equal((1.0, 2.0), asked["memory"]);
            Assert.Equal((1.0, 2.0), asked["time"]);
            Assert.Equal((0.0, 2.0), asked["gpus"]);
        }
    }

    [Fact]
    public async Task A_request_beyond_the_maxima_is_refused_naming_each_resource_and_nothing_is_made()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("too much");
        var lines = await alice.PasteAsync(history.Id, "a\n", "lines.txt");
        using var http = server.Http(server.AliceKey);
        var response = await http.PostAsync("/api/tools", Json(new JsonObject
        {
            ["history_id"] = history.Id, ["tool_id"] = "cat1",
            ["inputs"] = new JsonObject
            {
                ["input1"] = GanymedeClient.DatasetInput(lines.Id),
                ["__job_resource"] = new JsonObject { ["__job_resource__select"] = "yes", ["cores"] = ResourceServer.MachineCores + 1, ["memory"] = "3", ["gpus"] = 3, ["time"] = "soon" },
            },
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["err_msg"]!.ToString();
        Assert.Equal(string.Join("; ",
            $"Cores: {ResourceServer.MachineCores + 1} is more than a job of Concatenate datasets may ask for here (at most {ResourceServer.MachineCores})",
            "Memory (GiB): 3 is more than a job of Concatenate datasets may ask for here (at most 2)",
            "Wall time (hours): 'soon' is not a number",
            "GPUs: 3 is more than a job of Concatenate datasets may ask for here (at most 2)"), error);
        Assert.Equal([lines.Id], (await alice.ListContentsAsync(history.Id)).Select(d => d.Id));
    }

    [Fact]
    public async Task A_job_gets_what_it_asked_for_and_its_metrics_say_so()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("asked");
        // Holds 300 MiB at once (each page written, so that it is resident), and says what it was given.
        var script = await alice.PasteAsync(history.Id, """
            var block = new byte[300 << 20];
            for (int i = 0; i < block.Length; i += 4096) block[i] = 1;
            Console.WriteLine($"slots={Environment.GetEnvironmentVariable("GANYMEDE_SLOTS")} gpus={Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES")} sum={block.Sum(b => (long)b)}");
            """, "memory.csx");
        // Galaxy's flat form of the section's values.
        var run = await alice.RunToolAsync(history.Id, "ganymede_run_script", new()
        {
            ["select_file"] = GanymedeClient.DatasetInput(script.Id), ["__job_resource|__job_resource__select"] = "yes",
            ["__job_resource|cores"] = "1", ["__job_resource|memory"] = "1.5", ["__job_resource|time"] = "0.5", ["__job_resource|gpus"] = "1",
        });
        var job = await alice.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(3));
        Assert.Equal($"slots=1 gpus=0 sum={(300 << 20) / 4096}", (await alice.GetJobAsync(job.Id, full: true)).Stdout!.Trim());

        var jobScript = File.ReadAllText(Path.Combine(server.DataDirectory, "jobs", JobId(job.Id), JobScript.FileName));
        Assert.Contains($"MEMORY_BYTES='{3L << 29}'", jobScript);
        Assert.Contains("WALL_SECONDS='1800'", jobScript);
        var metrics = (await alice.GetJobMetricsAsync(job.Id)).ToDictionary(m => m.Name, m => m.RawValue);
        Assert.Equal(("1", "1536", "1", "0"), (Whole(metrics["galaxy_slots"]), Whole(metrics["galaxy_memory_mb"]), Whole(metrics["galaxy_gpus"]), Whole(metrics["exit_code"])));
        Assert.Equal(System.Net.Dns.GetHostName(), metrics["hostname"]);
        long peak = (long)double.Parse(metrics["memory.max_usage_in_bytes"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(peak, 300L << 20, 3L << 29);
        double cpu = double.Parse(metrics["cpuacct.usage"]!, System.Globalization.CultureInfo.InvariantCulture);
        double runtime = double.Parse(metrics["runtime_seconds"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(cpu, 0.01, runtime * ResourceServer.MachineCores);
    }

    [Fact]
    public async Task A_job_over_the_memory_it_asked_for_is_killed_naming_it()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("too little");
        var script = await alice.PasteAsync(history.Id, """
            var block = new byte[600 << 20];
            for (int i = 0; i < block.Length; i += 4096) block[i] = 1;
            Console.WriteLine(block.Sum(b => (long)b));
            """, "big.csx");
        var run = await alice.RunToolAsync(history.Id, "ganymede_run_script", new()
        {
            ["select_file"] = GanymedeClient.DatasetInput(script.Id),
            ["__job_resource"] = new JsonObject { ["__job_resource__select"] = "yes", ["memory"] = 0.25 },
        });
        var job = await alice.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(3), throwOnFailure: false);
        Assert.Equal("error", job.State);
        Assert.EndsWith("killed: memory limit 256 MiB exceeded", (await alice.GetJobAsync(job.Id, full: true)).Stderr!.Trim());
    }

    [Fact]
    public async Task A_job_waits_saying_why_until_the_cores_and_GPUs_it_asks_for_are_free()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("waiting");
        var slow = await alice.PasteAsync(history.Id, Slow, "slow.csx");
        async Task<string> RunAsync(int cores, int gpus) => (await alice.RunToolAsync(history.Id, "ganymede_run_script", new()
        {
            ["select_file"] = GanymedeClient.DatasetInput(slow.Id),
            ["__job_resource"] = new JsonObject { ["__job_resource__select"] = "yes", ["cores"] = cores, ["gpus"] = gpus },
        })).Jobs[0].Id;

        // Two jobs with a GPU each get one each; a third asking for one waits, and starts when one of them ends, on its GPU.
        var first = await RunAsync(1, 1);
        await JobPolling.WaitForStateAsync(alice, first, "running");
        var second = await RunAsync(1, 1);
        await JobPolling.WaitForStateAsync(alice, second, "running");
        Assert.Equal(["0", "1"], new[] { first, second }.Select(j => GpusOf(j)).Order());
        var third = await RunAsync(1, 1);
        var waiting = await JobPolling.WaitForInfoAsync(alice, third);
        string freeCores = $"{Math.Max(0, ResourceServer.MachineCores - 2)} of {ResourceServer.MachineCores} cores";
        Assert.Equal(("queued", $"waiting for 1 free core and 1 free GPU: {freeCores} and 0 of 2 GPUs are free"), (waiting.State, waiting.Info));
        var freed = GpusOf(first);
        Assert.True(await alice.CancelJobAsync(first));
        Assert.Null((await JobPolling.WaitForStateAsync(alice, third, "running")).Info);
        Assert.Equal(freed, GpusOf(third));
        Assert.True(await alice.CancelJobAsync(second));
        Assert.True(await alice.CancelJobAsync(third));
    }

    private string GpusOf(string job) => File.ReadAllText(Path.Combine(server.DataDirectory, "jobs", JobId(job), JobScript.GpuIds));

    private string JobId(string encoded)
    {
        var ids = (IdCodec)server.Services.GetService(typeof(IdCodec))!;
        Assert.True(ids.TryDecode(encoded, out long id));
        return id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Whole(string? raw) => ((long)double.Parse(raw!, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
}
