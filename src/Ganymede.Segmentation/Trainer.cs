using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ganymede.IO;
using Ganymede.NN;
using Ganymede.NN.Optim;

namespace Ganymede.Segmentation;

/// <summary>Where training is, for progress displays.</summary>
public sealed record TrainProgress(int Epoch, int Epochs, int Step, int Steps, float Loss, double ImagesPerSecond, TimeSpan Remaining);

/// <summary>One epoch's figures, as written to metrics.csv and metrics.jsonl.</summary>
/// <see cref="Size"/> is the side of the images trained on in that epoch (see <see cref="TrainOptions.PatchSize"/>).
public sealed record EpochMetrics(int Epoch, double TrainLoss, double ValidLoss, double Dice, double PooledDice, double Precision, double Recall, double LearningRate, double Seconds, int Size);

/// <summary>How a run ended.</summary>
public sealed record TrainResult(bool Interrupted, int Epochs, double BestDice, int BestEpoch, string BestCheckpoint, string LastCheckpoint);

/// <summary>
/// Trains a UNet on a segmentation split with BCE (+ soft Dice, + total variation), Adam, a schedule, on-the-fly
/// augmentation and early stopping on validation Dice. Every random choice of step s in epoch e comes from a
/// generator seeded by (seed, e, s), so a run resumed from a checkpoint continues bit for bit. With patches, the first
/// epochs train on random patches and validate on whole slices as usual. With resizing they train and validate on
/// smaller copies of the slices, whose scores do not compare with whole slices': the best model and early stopping
/// then start afresh when training reaches whole slices, so the model kept is one trained on those.
/// </summary>
public sealed class Trainer(TrainOptions options, string runDirectory)
{
    public string BestCheckpoint => Path.Combine(runDirectory, "best.safetensors");

    public string LastCheckpoint => Path.Combine(runDirectory, "last.safetensors");

    public TrainResult Run(SegmentationSplit train, SegmentationSplit valid, ModelConfig config, string? resumeFrom = null,
        IProgress<TrainProgress>? progress = null, Action<EpochMetrics>? onEpoch = null, CancellationToken cancel = default)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty");
        if (train.Images.size(1) != config.InChannels || train.Masks.size(1) != config.OutChannels)
            throw new ArgumentException($"the data has {train.Images.size(1)} image and {train.Masks.size(1)} mask channels, the model {config.InChannels} and {config.OutChannels}");
        if (options.PatchSize < 0 || options.PatchFraction is < 0 or > 1)
            throw new ArgumentException($"PatchSize {options.PatchSize} must be 0 (off) or positive, PatchFraction {options.PatchFraction} between 0 and 1");
        if (options.Optimizer is not ("adam" or "sgd"))
            throw new ArgumentException($"unknown optimizer '{options.Optimizer}' (expected adam or sgd)");
        using var precision = Backends.Float32Precision.With(options.Precision);
        if (resumeFrom is null && File.Exists(LastCheckpoint))
            throw new ArgumentException($"{runDirectory} already holds a training run; continue it with --resume {runDirectory}, or choose another --run-dir");
        Directory.CreateDirectory(runDirectory);
        torch.manual_seed(options.Seed);
        using var model = config.Build(new Generator(options.Seed));
        using var supervision = options.DeepSupervision ? new DeepSupervision(model, new Generator(options.Seed + 1)) : null;
        var optimizer = NewOptimizer(model.parameters().Concat(supervision?.parameters() ?? []));
        if (resumeFrom is null && options.HeadBiasPrior && model.Head.bias is not null)
            using (torch.no_grad())
                foreach (var bias in supervision?.Biases.Prepend(model.Head.bias) ?? [model.Head.bias])
                    for (int c = 0; c < config.OutChannels; c++)
                    {
                        double fraction = Math.Clamp(train.Masks.select(1, c).mean().item(), 1e-4, 1 - 1e-4);
                        bias.narrow(0, c, 1).fill_((float)Math.Log(fraction / (1 - fraction)));
                    }
        using var average = options.WeightAverageDecay > 0 ? new ExponentialMovingAverage(model, options.WeightAverageDecay) : null;
        var state = resumeFrom is null
            ? new TrainerState(0, 0, double.NegativeInfinity, -1, JsonSerializer.Serialize(options))
            : Checkpoint.Resume(resumeFrom, model, optimizer, average, supervision);
        int batch = Math.Min(options.Batch, train.Count), steps = (train.Count + batch - 1) / batch;
        int height = train.Images.size(2), width = train.Images.size(3), patch = options.PatchSize;
        bool patches = patch > 0 && patch < Math.Min(height, width) && (!options.PatchResize || height == width);
        int patchEpochs = patches ? (int)Math.Round(options.Epochs * options.PatchFraction) : 0;
        var (smallTrain, smallValid) = patches && options.PatchResize ? (train.Resized(patch), valid.Resized(patch)) : (train, valid);
        // The time left is estimated from pixels, because epochs on patches are cheaper.
        double PixelsPerImage(int epoch) => epoch < patchEpochs ? (double)patch * patch : (double)height * width;
        var clock = Stopwatch.StartNew();
        double pixelsDone = 0;
        for (int epoch = state.Epoch; epoch < options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var (epochTrain, epochValid) = epoch < patchEpochs ? (smallTrain, smallValid) : (train, valid);
            int crop = epoch < patchEpochs && !options.PatchResize ? patch : 0;
            bool validatedSmall = epoch < patchEpochs && options.PatchResize;
            if (epoch == patchEpochs && patchEpochs > 0 && options.PatchResize) state = state with { BestDice = double.NegativeInfinity, BestEpoch = epoch };
            var order = new Generator(Mix(options.Seed, epoch, -1)).Permutation(train.Count);
            double lossSum = 0;
            int lossCount = 0;
            model.train();
            for (int step = epoch == state.Epoch ? state.Step : 0; step < steps; step++)
            {
                TrainResult Interrupted()
                {
                    Checkpoint.Save(LastCheckpoint, model, config, optimizer, state with { Epoch = epoch, Step = step }, average, supervision);
                    SaveCurves();
                    return new TrainResult(true, epoch, state.BestDice, state.BestEpoch, BestCheckpoint, LastCheckpoint);
                }
                if (cancel.IsCancellationRequested || Interruption.Token.IsCancellationRequested) return Interrupted();
                optimizer.lr = LearningRate(epoch, step, steps);
                var indices = order.Skip(step * batch).Take(batch).ToArray();
                float loss;
                try
                {
                    loss = Step(model, optimizer, average, supervision, epochTrain, indices, crop, Mix(options.Seed, epoch, step));
                }
                catch (OperationCanceledException) when (Interruption.Token.IsCancellationRequested)
                {
                    return Interrupted(); // backward refused to start: the weights are as before this step
                }
                lossSum += loss;
                lossCount++;
                pixelsDone += indices.Length * PixelsPerImage(epoch);
                double pixelRate = pixelsDone / clock.Elapsed.TotalSeconds;
                double remainingPixels = Math.Max(0, steps - step - 1) * batch * PixelsPerImage(epoch)
                    + Enumerable.Range(epoch + 1, options.Epochs - epoch - 1).Sum(e => train.Count * PixelsPerImage(e));
                progress?.Report(new TrainProgress(epoch + 1, options.Epochs, step + 1, steps, loss, pixelRate / PixelsPerImage(epoch),
                    TimeSpan.FromSeconds(remainingPixels / Math.Max(pixelRate, 1e-9))));
            }
            // With a weight average, the average is what is validated and kept as the best model.
            using (average?.swap_in())
            {
                var (validLoss, metrics) = Validate(model, epochValid);
                var row = new EpochMetrics(epoch + 1, lossSum / Math.Max(1, lossCount), validLoss, metrics.MeanDice, metrics.PooledDice,
                    metrics.Precision, metrics.Recall, optimizer.lr, epochClock.Elapsed.TotalSeconds, crop > 0 ? crop : epochTrain.Images.size(2));
                Log(row);
                onEpoch?.Invoke(row);
                // Without a validation set the last epoch is the best one.
                double score = valid.Count > 0 ? metrics.MeanDice : epoch;
                if (score > state.BestDice)
                {
                    state = state with { BestDice = score, BestEpoch = epoch + 1 };
                    Checkpoint.Save(BestCheckpoint, model, config);
                }
            }
            state = state with { Epoch = epoch + 1, Step = 0 };
            Checkpoint.Save(LastCheckpoint, model, config, optimizer, state, average, supervision);
            if (options.Patience > 0 && !validatedSmall && epoch + 1 - state.BestEpoch >= options.Patience) break;
        }
        SaveCurves();
        return new TrainResult(false, state.Epoch, state.BestDice, state.BestEpoch, BestCheckpoint, LastCheckpoint);
    }

    private Optimizer NewOptimizer(IEnumerable<Tensor> parameters) => options.Optimizer switch
    {
        "adam" => new Adam(parameters, lr: options.LearningRate, weight_decay: options.WeightDecay),
        "sgd" => new SGD(parameters, options.LearningRate, options.Momentum, options.WeightDecay, nesterov: true),
        _ => throw new UnreachableException(), // Run checks the name before it starts
    };

    private float Step(UNet model, Optimizer optimizer, ExponentialMovingAverage? average, DeepSupervision? supervision,
        SegmentationSplit train, int[] indices, int crop, ulong seed)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(seed + 1);
        var (x, y) = train.Batch(indices);
        var g = new Generator(seed);
        if (crop > 0) (x, y) = Augmentation.RandomCrop(x, y, crop, g);
        (x, y) = options.Augment.Apply(x, y, g);
        optimizer.zero_grad();
        Tensor loss;
        if (supervision is null) loss = Loss(model.forward(x), y);
        else
        {
            var (logits, decoder) = model.forward_with_decoder(x);
            loss = supervision.Loss(logits, decoder, y, Loss);
        }
        loss.backward();
        optimizer.step();
        average?.update();
        return loss.item();
    }

    /// <summary>
    /// BCE on logits, plus soft Dice on probabilities (Tversky's index when extra pixels weigh other than missed ones),
    /// plus the original's total variation of the last channel.
    /// </summary>
    public Tensor Loss(Tensor logits, Tensor target)
    {
        var loss = F.binary_cross_entropy_with_logits(logits, target);
        if (options.DiceWeight > 0)
        {
            float extra = options.DiceFalsePositiveWeight;
            loss = loss.add(F.tversky_loss(logits.sigmoid(), target, extra, 1 - extra, batch: !options.DicePerSlice).mul(options.DiceWeight));
        }
        if (options.TotalVariationWeight > 0)
        {
            var p = logits.narrow(1, logits.size(1) - 1, 1).sigmoid();
            int h = p.size(2), w = p.size(3);
            var tv = p.narrow(2, 1, h - 1).sub(p.narrow(2, 0, h - 1)).abs().mean().add(p.narrow(3, 1, w - 1).sub(p.narrow(3, 0, w - 1)).abs().mean());
            loss = loss.add(tv.mul(options.TotalVariationWeight));
        }
        return loss;
    }

    private (double Loss, SegmentationMetrics Metrics) Validate(UNet model, SegmentationSplit valid)
    {
        if (valid.Count == 0) return (double.NaN, SegmentationMetrics.Compute(torch.zeros(0, 1), torch.zeros(0, 1)));
        model.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        double lossSum = 0;
        var predictions = new List<Tensor>();
        for (int start = 0; start < valid.Count; start += options.Batch)
        {
            var indices = Enumerable.Range(start, Math.Min(options.Batch, valid.Count - start)).ToArray();
            var (x, y) = valid.Batch(indices);
            var logits = model.forward(x);
            lossSum += Loss(logits, y).item() * indices.Length;
            predictions.Add(logits.gt(0).@float());
        }
        model.train();
        return (lossSum / valid.Count, SegmentationMetrics.Compute(torch.cat(predictions, 0), valid.Masks));
    }

    private float LearningRate(int epoch, int step, int steps)
    {
        if (options.Schedule == "constant") return options.LearningRate;
        double progress = (epoch + (double)step / steps) / Math.Max(1, options.Epochs);
        return (float)(options.LearningRate * (0.01 + 0.99 * (1 + Math.Cos(Math.PI * progress)) / 2));
    }

    /// <summary>metrics.jsonl's rows: NaN (no validation slices) is written as a name.</summary>
    private static readonly JsonSerializerOptions MetricsJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private const string CsvHeader = "epoch,train_loss,valid_loss,dice,pooled_dice,precision,recall,lr,seconds,size";

    private void Log(EpochMetrics m)
    {
        var csv = Path.Combine(runDirectory, "metrics.csv");
        if (!File.Exists(csv)) File.WriteAllText(csv, CsvHeader + "\n");
        else if (File.ReadLines(csv).FirstOrDefault() == CsvHeader[..CsvHeader.LastIndexOf(',')])
        {
            // A run resumed from before the size column: its rows get an empty size, so every row has the header's columns.
            var lines = File.ReadAllLines(csv);
            AtomicFile.Write(csv, stream =>
            {
                using var writer = new StreamWriter(stream);
                writer.Write(string.Join("\n", lines.Skip(1).Select(line => line + ",").Prepend(CsvHeader)) + "\n");
            });
        }
        File.AppendAllText(csv, string.Join(",", new object[] { m.Epoch, m.TrainLoss, m.ValidLoss, m.Dice, m.PooledDice, m.Precision, m.Recall, m.LearningRate, m.Seconds, m.Size }
            .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) + "\n");
        File.AppendAllText(Path.Combine(runDirectory, "metrics.jsonl"), JsonSerializer.Serialize(m, MetricsJson) + "\n");
    }

    /// <summary>The file <see cref="SaveCurves"/> writes into the run directory.</summary>
    public string CurvesFigure => Path.Combine(runDirectory, "curves.png");

    /// <summary>Draws the run's losses and validation Dice per epoch, as metrics.jsonl has them (resumed runs included).</summary>
    private void SaveCurves()
    {
        var log = Path.Combine(runDirectory, "metrics.jsonl");
        if (!File.Exists(log)) return;
        var epochs = File.ReadLines(log).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, MetricsJson)!).ToList();
        if (epochs.Count > 0) Figures.TrainingCurves(epochs).Save(CurvesFigure);
    }

    /// <summary>A seed for (run seed, epoch, step): distinct streams, independent of how the run was split into sessions.</summary>
    public static ulong Mix(ulong seed, int epoch, int step) =>
        seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(epoch + 1) * 0xBF58476D1CE4E5B9UL) ^ ((ulong)(step + 2) * 0x94D049BB133111EBUL);
}
