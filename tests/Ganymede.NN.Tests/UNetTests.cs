using Ganymede.Backends;
using Ganymede.NN.Optim;
using static Ganymede.Tests.TestUtil;

namespace Ganymede.NN.Tests;

public class UNetTests
{
    [Fact]
    public void Matches_the_reference_parameter_count_and_flops()
    {
        using var model = new UNet(1, 1, 16, 4);
        Assert.Equal(1_942_289, model.parameter_count());
        Assert.Equal(1.507, model.ConvFlops(128, 128) / 1e9, 3);
        Assert.Equal(6.027, model.ConvFlops(256, 256) / 1e9, 2);
    }

    [Fact]
    public void The_original_keras_unet_has_its_published_parameter_count()
    {
        // get_unet(n_filters=64, dropout=0.2, batchnorm=True) with two sigmoid outputs: 34,535,810 parameters including BN statistics.
        using var model = new UNet(1, 2, 64, 4, dropout: 0.2f, convBias: true, upKernel: 3);
        long statistics = model.named_buffers().Where(b => b.name.EndsWith("running_mean") || b.name.EndsWith("running_var")).Sum(b => b.buffer.numel());
        Assert.Equal(34_535_810, model.parameter_count() + statistics);
    }

    [Fact]
    public void State_dict_names_match_pytorch()
    {
        var golden = Golden("unet_training").GetProperty("initial_state");
        using var model = new UNet(1, 1, 4, 2);
        var ours = model.state_dict().Where(kv => kv.Value.dtype == DType.Float32).Select(kv => kv.Key).Order().ToArray();
        var theirs = golden.EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(theirs, ours);
        Assert.Contains("down.0.1.num_batches_tracked", model.state_dict().Keys);
    }

    [Theory]
    [InlineData("native")]
    [InlineData("reference")]
    public void Training_steps_match_pytorch_from_the_same_weights(string backend)
    {
        using var _ = Backend.With(Backend.Create(backend));
        var golden = Golden("unet_training");
        using var model = new UNet(1, 1, 4, 2);
        model.load_state_dict(golden.GetProperty("initial_state").EnumerateObject().ToDictionary(p => p.Name, p => ToTensor(p.Value)), strict: false);
        var images = ToTensor(golden.GetProperty("images"));
        var masks = ToTensor(golden.GetProperty("masks"));
        var optimizer = new Adam(model.parameters(), lr: 1e-3f);
        var expectedLosses = golden.GetProperty("losses").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        model.train();
        foreach (var expected in expectedLosses)
        {
            optimizer.zero_grad();
            var loss = F.binary_cross_entropy_with_logits(model.forward(images), masks);
            loss.backward();
            optimizer.step();
            Assert.Equal(expected, loss.item(), 4);
        }
        var state = model.state_dict();
        foreach (var p in golden.GetProperty("final_state").EnumerateObject())
            AssertClose(ToTensor(p.Value), state[p.Name], 2e-4f, 1e-3f, p.Name);
        model.eval();
        using (torch.no_grad())
            AssertClose(ToTensor(golden.GetProperty("eval_output")), model.forward(images), 2e-4f, 1e-3f, "eval output");
    }

    [Fact]
    public void Rejects_input_sizes_that_do_not_divide()
    {
        using var model = new UNet(1, 1, 4, 2);
        var ex = Assert.Throws<ShapeException>(() => model.forward(torch.zeros(1, 1, 10, 12)));
        Assert.Contains("multiples of 4", ex.Message);
    }
}

/// <summary>
/// Managed memory over many training steps, measured in a process of its own (this assembly run as a program, see
/// <see cref="MemoryProbe"/>), so that tests running beside it cannot allocate into the measurement.
/// </summary>
public sealed class TrainingMemoryTests
{
    [Fact]
    public void Memory_stays_flat_over_many_training_steps()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", typeof(MemoryProbe).Assembly.Location, MemoryProbe.Name }) start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the memory probe did not finish within 5 minutes");
        Assert.True(process.ExitCode == 0, "the memory probe failed: " + error);
        var bytes = output.Trim().Split(' ').Select(long.Parse).ToArray();
        long after100 = bytes[0], after1000 = bytes[1];
        Assert.True(after100 > 0);
        Assert.True(after1000 < after100 + (8 << 20), $"managed memory grew from {after100} to {after1000} bytes");
    }
}
