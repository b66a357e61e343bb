using System.CommandLine;
using Ganymede.Formats.Hdf5;
using Ganymede.IO;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede train`: train a segmentation UNet on a packed H5 file, or cross-validate with --cv.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "H5 file with X_train, y_train, X_valid, y_valid (ganymede data pack)", Required = true };
        var output = new Option<string?>("--out") { Description = "where to write the trained model (the best checkpoint): .onnx (default: model.onnx in the run directory) or .safetensors" };
        var epochs = new Option<int?>("--epochs") { Description = "epochs (default: the preset's)" };
        var batch = new Option<int?>("--batch") { Description = "images per step (default: the preset's)" };
        var lr = new Option<float?>("--lr") { Description = "learning rate (default: the preset's)" };
        var baseWidth = new Option<int?>("--base") { Description = "UNet base width (default: the preset's)" };
        var seed = new Option<ulong>("--seed") { Description = "seed of initialisation, data order, augmentation and dropout", DefaultValueFactory = _ => 0UL };
        var preset = new Option<string>("--preset") { Description = "default (the cross-validated recipe) or paper (the original system's UNet and settings)", DefaultValueFactory = _ => "default" };
        preset.AcceptOnlyFromAmong("default", "paper");
        var runDir = new Option<string?>("--run-dir") { Description = "directory for checkpoints and metrics (default: a new runs/<time> folder)" };
        var resume = new Option<string?>("--resume") { Description = "continue exactly where the run in this directory stopped, with the options it was started with" };
        var allowChanged = new Option<bool>("--allow-changed-options") { Description = "with --resume: continue with options other than the run's (each difference is named when refused)" };
        var size = new Option<int?>("--size") { Description = "resize slices to this square size before training (default: the data's own size)" };
        var precision = new Option<string?>("--precision")
        {
            Description = "float32 precision of the convolutions: highest (float32) or medium (bfloat16 products, float32 sums; faster on CPUs with AVX512-BF16) (default: the preset's)",
        };
        precision.AcceptOnlyFromAmong(Backends.Float32Precision.Names);
        var cv = new Option<int>("--cv") { Description = "k-fold cross-validation on the training set instead of one training run", DefaultValueFactory = _ => 0 };
        var command = new Command("train", "Train a segmentation UNet; writes checkpoints, metrics and the model.")
        {
            data, output, epochs, batch, lr, baseWidth, seed, preset, size, precision, runDir, resume, allowChanged, cv,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            GlobalOptions.Apply(result);
            var p = TrainOptions.Preset(result.GetValue(preset)!);
            var options = p with
            {
                Epochs = result.GetValue(epochs) ?? p.Epochs,
                Batch = result.GetValue(batch) ?? p.Batch,
                LearningRate = result.GetValue(lr) ?? p.LearningRate,
                Base = result.GetValue(baseWidth) ?? p.Base,
                Seed = result.GetValue(seed),
                Precision = result.GetValue(precision) is { } named ? Backends.Float32Precision.Parse(named) : p.Precision,
            };
            options.Check();
            string path = result.GetValue(data)!;
            string? resumeDir = result.GetValue(resume);
            string directory = resumeDir ?? result.GetValue(runDir) ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
            int? side = result.GetValue(size);
            if (side is <= 0) throw new ArgumentException($"--size {side} must be positive");
            var train = SegmentationData.Load(path, "train");
            if (side is { } s) train = train.Resized(s);
            if (result.GetValue(cv) > 1)
            {
                CrossValidate(train, ModelConfig.ForData(path, train, options), options, result.GetValue(cv), directory);
                return;
            }
            var valid = SegmentationData.Load(path, "valid", required: false);
            if (side is { } sv) valid = valid.Resized(sv);
            var config = ModelConfig.ForData(path, train, options, valid);
            var outPath = result.GetValue(output) ?? Path.Combine(directory, "model.onnx");
            bool onnx = outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
            if (!onnx && !outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--out {outPath}: expected a .onnx or .safetensors path");
            using var cancel = CtrlC.Token();
            var display = new ProgressDisplay(job: Environment.GetEnvironmentVariable(TrainingReport.EnvironmentVariable) is { } file ? new TrainingReport(file, TextWriter.Null) : null);
            var trainer = new Trainer(options, directory);
            var run = resumeDir is null
                ? trainer.Run(train, valid, config, display, cancel.Token)
                : trainer.Resume(train, valid, config, result.GetValue(allowChanged), display, cancel.Token);
            display.Finish();
            if (run.Interrupted)
            {
                Console.WriteLine($"interrupted: checkpoint {run.LastCheckpoint}; continue with --resume {directory}");
                return;
            }
            if (onnx) ModelExport.ToOnnx(run.BestCheckpoint, outPath);
            else AtomicFile.Write(outPath, stream => { using var best = File.OpenRead(run.BestCheckpoint); best.CopyTo(stream); });
            Console.WriteLine(valid.Count > 0
                ? $"best validation Dice {run.BestDice:F4} at epoch {run.BestEpoch}; model {outPath}; run directory {directory}; curves {trainer.CurvesFigure}"
                : $"no validation slices: the model is the last epoch's ({run.BestEpoch}); model {outPath}; run directory {directory}");
        }));
        return command;
    }

    private static void CrossValidate(SegmentationSplit all, ModelConfig config, TrainOptions options, int folds, string directory)
    {
        var displays = new Dictionary<int, ProgressDisplay>();
        ProgressDisplay Display(int k) => displays.TryGetValue(k, out var d) ? d : displays[k] = new ProgressDisplay($"fold {k + 1}/{folds} ");
        var result = CrossValidation.Run(all, config, options, folds, directory, k => Display(k), (k, run) =>
        {
            Display(k).Finish();
            Console.WriteLine($"fold {k + 1}: best mean Dice {run.BestDice:F4} (epoch {run.BestEpoch})");
        });
        Console.WriteLine($"cross-validation: mean Dice {result.Mean:F4} ± {result.Std:F4} over {folds} folds");
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { folds, dice = result.FoldDice, mean_dice = result.Mean, std = result.Std }));
    }
}
