using Ganymede.Cli;
using Ganymede.Client;
using Ganymede.Onnx.Runtime;
using Ganymede.Tests;

namespace Ganymede.Server.Tests;

/// <summary>The remote-training flow through Ganymede.Client: upload, RunScriptJob, outputs, download.</summary>
public sealed class ClientFlowTests(ServerFixture server) : TempDirectoryTest, IClassFixture<ServerFixture>
{
    private const string TrainScript = """
        var file = H5File.Open("h5_datasets/covid.h5");
        var x = file.Dataset("X_train").ReadTensor().permute(0, 3, 1, 2).contiguous().narrow(0, 0, 4);
        var y = file.Dataset("y_train").ReadTensor().permute(0, 3, 1, 2).contiguous().narrow(0, 0, 4);
        file.Dispose();
        var model = new UNet(1, 1, 4, 2);
        var optimizer = new Adam(model.parameters(), 1e-3f);
        var loss = F.binary_cross_entropy_with_logits(model.call(x), y);
        loss.backward();
        optimizer.step();
        SaveModel(model, "unet", 1, 64, 64);
        float final_loss = loss.item();
        """;

    private string PackedData()
    {
        var path = Path.Combine(Dir, "covid.h5");
        int code = GanymedeCommands.Root().Parse(["data", "pack", "--images", SharedData.CovidSemiSeg("train_im.nii.gz"), "--masks", SharedData.CovidSemiSeg("train_mask.nii.gz"), "--out", path, "--size", "64"]).Invoke();
        Assert.Equal(0, code);
        return path;
    }

    [Fact]
    public async Task RunScriptJob_trains_remotely_and_the_model_comes_back()
    {
        var data = PackedData();
        Directory.CreateDirectory(Path.Combine(Dir, "h5_datasets"));
        File.Copy(data, Path.Combine(Dir, "h5_datasets", "covid.h5"));
        var script = Path.Combine(Dir, "train.csx");
        File.WriteAllText(script, TrainScript);
        using var client = new GanymedeClient(server.Url, server.AliceKey);
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(Dir); // the script's data path is relative, as in the original notebooks
        ScriptJobResult result;
        try
        {
            result = await client.RunScriptJobAsync(script, ["h5_datasets/covid.h5"], "remote training", TimeSpan.FromMinutes(5));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
        Assert.Equal("ok", result.Job.State);
        Assert.Equal("ok", result.History.State);
        var model = Assert.Single(result.Models);
        Assert.Equal("onnx_model_unet.onnx", model.Name);
        var local = Path.Combine(Dir, "unet.onnx");
        await client.DownloadAsync(model.Id, local);
        var onnx = OnnxModel.Load(local);
        var output = onnx.Run(new Dictionary<string, Tensor> { [onnx.Inputs[0]] = torch.zeros(1, 1, 64, 64) });
        Assert.Equal([1, 1, 64, 64], output.Values.First().shape);
        Assert.Contains(result.Contents, d => d.Name == "Saved arrays" && d.Type == "h5");
    }

    [Fact]
    public async Task A_failing_script_is_reported_as_a_failure_with_its_stderr()
    {
        var script = Path.Combine(Dir, "broken.csx");
        File.WriteAllText(script, "var n = 1;\nthrow new ArgumentException(\"no such column\");\n");
        using var client = new GanymedeClient(server.Url, server.AliceKey);
        var failure = await Assert.ThrowsAsync<JobFailedException>(() => client.RunScriptJobAsync(script, [], "failing", TimeSpan.FromMinutes(2)));
        Assert.Equal("error", failure.Job.State);
        Assert.Contains("no such column", failure.Job.Stderr);
    }

    [Fact]
    public async Task Upload_reports_progress_and_download_returns_the_same_bytes()
    {
        var bytes = new byte[25_000_000];
        new Random(3).NextBytes(bytes);
        var path = Path.Combine(Dir, "blob.bin");
        File.WriteAllBytes(path, bytes);
        using var client = new GanymedeClient(server.Url, server.AliceKey);
        var history = await client.CreateHistoryAsync("bytes");
        var reported = new List<long>();
        var dataset = await client.UploadAsync(history.Id, path, progress: new SyncProgress(reported.Add));
        Assert.Equal([10_000_000, 20_000_000, 25_000_000], reported);
        Assert.Equal("ok", (await client.WaitForDatasetAsync(dataset.Id, TimeSpan.FromMinutes(1))).State);
        var back = Path.Combine(Dir, "back.bin");
        await client.DownloadAsync(dataset.Id, back);
        Assert.Equal(bytes, File.ReadAllBytes(back));
        var other = new GanymedeClient(server.Url, server.BobKey);
        var denied = await Assert.ThrowsAsync<GanymedeApiException>(() => other.GetDatasetAsync(dataset.Id));
        Assert.Equal(403, denied.Status);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the reports in order, on the caller's thread.</summary>
    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    [Fact]
    public async Task The_client_covers_histories_tools_and_jobs()
    {
        using var client = new GanymedeClient(server.Url, server.AliceKey);
        Assert.Equal("23.1", await client.VersionAsync());
        Assert.Contains(await client.ListToolsAsync(), t => t.Id == "ganymede_train_unet");
        var history = await client.CreateHistoryAsync("client api");
        Assert.Contains(await client.ListHistoriesAsync(), h => h.Id == history.Id);
        var script = await client.PasteAsync(history.Id, "System.Threading.Thread.Sleep(60_000);", "slow.csx");
        Assert.Equal("csx", script.Type);
        var run = await client.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(script.Id) });
        Assert.True(await client.CancelJobAsync(run.Jobs[0].Id));
        var cancelled = await client.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(1), throwOnFailure: false);
        Assert.Equal("deleted", cancelled.State);
        Assert.True((await client.DeleteHistoryAsync(history.Id, purge: true)).Purged);
        var missing = await Assert.ThrowsAsync<GanymedeApiException>(() => client.GetJobAsync("0123456789abcdef"));
        Assert.Equal(404, missing.Status);
    }
}
