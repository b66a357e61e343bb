using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Backends;
using Ganymede.NN;
using Ganymede.NN.Optim;
using Ganymede.Onnx;
using Ganymede.Onnx.Runtime;
using Google.Protobuf;

namespace Ganymede.Cli.Commands;

/// <summary>
/// `ganymede bench`: times the reference UNet as the PyTorch reference (unet_pytorch.py) does (3 warm-up
/// steps, median of the timed ones, batch 8, Adam, BCE with logits) and prints one JSON object last,
/// with the same fields as that script. --compare PATH runs the script in the same invocation; --engine both times
/// inference on the engine and on ONNX Runtime (the same UNet, exported) in one invocation.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "train (forward, backward, Adam step) or infer", DefaultValueFactory = _ => "train" };
        mode.AcceptOnlyFromAmong("train", "infer");
        var size = new Option<int>("--size") { Description = "image height and width", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch") { Description = "images per step", DefaultValueFactory = _ => 8 };
        var baseWidth = new Option<int>("--base") { Description = "UNet base width", DefaultValueFactory = _ => 16 };
        var depth = new Option<int>("--depth") { Description = "UNet depth", DefaultValueFactory = _ => 4 };
        var dropout = new Option<float>("--dropout") { Description = "dropout probability (0 measures the convolutional core)", DefaultValueFactory = _ => 0f };
        var steps = new Option<int>("--steps") { Description = "timed steps", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed warm-up steps", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0UL };
        var compare = new Option<string?>("--compare")
        {
            Description = "also run the PyTorch reference script at this path (unet_pytorch.py) with the same settings, with Debian's python3-torch, and report the ratio",
        };
        var profile = new Option<bool>("--profile") { Description = "print time per operation over the timed steps (to standard error)" };
        var precision = new Option<string>("--precision")
        {
            Description = "float32 precision of the convolutions: highest (float32) or medium (bfloat16 products); PyTorch's run stays float32",
            DefaultValueFactory = _ => "highest",
        };
        precision.AcceptOnlyFromAmong(Float32Precision.Names);
        var engine = new Option<string>("--engine")
        {
            Description = "what runs inference: native (the engine), onnxruntime (the same UNet exported to ONNX), or both, side by side",
            DefaultValueFactory = _ => "native",
        };
        engine.AcceptOnlyFromAmong("native", "onnxruntime", "both");

        var command = new Command("bench", "Time UNet training or inference steps; the last line is a JSON object.")
        {
            mode, size, batch, baseWidth, depth, dropout, steps, warmup, seed, precision, engine, compare, profile,
        };
        command.SetAction(result =>
        {
            GlobalOptions.Apply(result);
            var settings = new Settings(result.GetValue(mode)!, result.GetValue(size), result.GetValue(batch), result.GetValue(baseWidth),
                result.GetValue(depth), result.GetValue(dropout), result.GetValue(steps), result.GetValue(warmup), result.GetValue(seed), result.GetValue(precision)!,
                result.GetValue(engine)!);
            if (settings.Engine != "native" && settings.Mode != "infer")
            {
                Console.Error.WriteLine("error: --engine onnxruntime and both time inference: add --mode infer");
                return 2;
            }
            if (settings.Size <= 0 || settings.Size % (1 << settings.Depth) != 0)
            {
                Console.Error.WriteLine($"error: --size {settings.Size} must be a positive multiple of {1 << settings.Depth} (2^depth)");
                return 2;
            }
            if (settings.Batch <= 0 || settings.Steps <= 0 || settings.Warmup < 0)
            {
                Console.Error.WriteLine("error: --batch and --steps must be positive and --warmup non-negative");
                return 2;
            }
            var script = result.GetValue(compare);
            if (script is not null && !File.Exists(script))
            {
                Console.Error.WriteLine($"error: --compare {script}: no such file; give the path of the PyTorch reference script (unet_pytorch.py)");
                return 2;
            }
            if (settings.Engine == "both" && script is not null)
            {
                Console.Error.WriteLine("error: --compare times PyTorch against one engine: use --engine native or onnxruntime with it");
                return 2;
            }
            if (settings.Engine == "both")
            {
                var native = Run(settings with { Engine = "native" }, result.GetValue(profile));
                Console.WriteLine(native.ToJsonString());
                var runtime = Run(settings with { Engine = "onnxruntime" }, profile: false);
                runtime["native_images_per_s"] = native["images_per_s"]!.GetValue<double>();
                runtime["ratio_vs_native"] = Math.Round(runtime["images_per_s"]!.GetValue<double>() / native["images_per_s"]!.GetValue<double>(), 3);
                Console.WriteLine(runtime.ToJsonString());
                return 0;
            }
            var ours = Run(settings, result.GetValue(profile));
            if (script is not null)
            {
                var theirs = RunPyTorch(script, settings);
                Console.WriteLine("pytorch: " + theirs.ToJsonString());
                double theirRate = theirs["images_per_s"]!.GetValue<double>();
                ours["pytorch_images_per_s"] = theirRate;
                ours["ratio_vs_pytorch"] = Math.Round(ours["images_per_s"]!.GetValue<double>() / theirRate, 3);
            }
            Console.WriteLine(ours.ToJsonString());
            return 0;
        });
        return command;
    }

    private sealed record Settings(string Mode, int Size, int Batch, int Base, int Depth, float Dropout, int Steps, int Warmup, ulong Seed, string Precision, string Engine);

    private static JsonObject Run(Settings s, bool profile)
    {
        using var precision = Float32Precision.With(s.Precision);
        torch.manual_seed(s.Seed);
        using var model = new UNet(1, 1, s.Base, s.Depth, s.Dropout);
        var x = torch.randn(s.Batch, 1, s.Size, s.Size).DetachFromDisposeScope();
        var y = torch.rand(s.Batch, 1, s.Size, s.Size).gt(0.8f).to(DType.Float32).DetachFromDisposeScope();
        var optimizer = new Adam(model.parameters(), lr: 1e-3f);
        model.eval();
        using var onnx = s.Engine == "onnxruntime" ? OnnxModel.FromBytes(OnnxExporter.Export(model, 1, s.Size, s.Size).ToByteArray(), "the benchmark's UNet") : null;
        var times = new List<double>();
        for (int i = 0; i < s.Warmup + s.Steps; i++)
        {
            Profiler.Enabled = profile && i >= s.Warmup;
            var clock = Stopwatch.StartNew();
            using (Profiler.Scope("step (whole)"))
            using (torch.NewDisposeScope())
            {
                if (s.Mode == "train")
                {
                    model.train();
                    optimizer.zero_grad();
                    Tensor loss;
                    using (Profiler.Scope("step: forward and loss"))
                        loss = F.binary_cross_entropy_with_logits(model.forward(x), y);
                    using (Profiler.Scope("step: backward"))
                        loss.backward();
                    using (Profiler.Scope("step: optimizer"))
                        optimizer.step();
                }
                else if (onnx is not null)
                {
                    using var forward = Profiler.Scope("step: forward");
                    onnx.Run(new Dictionary<string, Tensor> { [onnx.Inputs[0]] = x });
                }
                else
                {
                    model.eval();
                    using var _ = torch.no_grad();
                    using var forward = Profiler.Scope("step: forward");
                    model.forward(x);
                }
            }
            if (i >= s.Warmup) times.Add(clock.Elapsed.TotalSeconds);
            Console.Error.WriteLine($"step {i + 1}/{s.Warmup + s.Steps}: {clock.Elapsed.TotalMilliseconds:F1} ms{(i < s.Warmup ? " (warm-up)" : "")}");
        }
        foreach (var (name, ms, calls) in Profiler.Report())
            Console.Error.WriteLine($"{name,-28} {ms / s.Steps,9:F2} ms/step {calls / s.Steps,6} calls/step");
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        long flops = model.ConvFlops(s.Size, s.Size) * (s.Mode == "train" ? 3 : 1);
        return new JsonObject
        {
            ["engine"] = onnx is null ? "ganymede-" + Backend.Current.Name : "onnxruntime-" + typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version!.ToString(3),
            ["mode"] = s.Mode,
            ["size"] = s.Size,
            ["batch"] = s.Batch,
            ["base"] = s.Base,
            ["depth"] = s.Depth,
            ["dropout"] = s.Dropout,
            ["precision"] = s.Precision == "medium" && Backend.Current is NativeBackend && NativeBackend.HasBfloat16 ? "bfloat16" : "float32",
            ["threads"] = Environment.ProcessorCount,
            ["params"] = model.parameter_count(),
            ["forward_gflop_per_image"] = Math.Round(model.ConvFlops(s.Size, s.Size) / 1e9, 4),
            ["median_step_s"] = Math.Round(median, 5),
            ["images_per_s"] = Math.Round(s.Batch / median, 3),
            ["gflop_per_s"] = Math.Round(flops * (double)s.Batch / median / 1e9, 1),
        };
    }

    private static JsonObject RunPyTorch(string script, Settings s)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            ArgumentList =
            {
                script, "bench", "--mode", s.Mode, "--size", s.Size.ToString(), "--batch", s.Batch.ToString(), "--base", s.Base.ToString(),
                "--depth", s.Depth.ToString(), "--dropout", s.Dropout.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--steps", s.Steps.ToString(), "--warmup", s.Warmup.ToString(), "--seed", s.Seed.ToString(),
            },
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (process.ExitCode != 0 || last is null)
            throw new InvalidOperationException($"the PyTorch reference exited with {process.ExitCode} (is python3-torch installed? apt-get install python3-torch)");
        return JsonNode.Parse(last)!.AsObject();
    }
}
