using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ganymede.NN;
using Ganymede.NN.Optim;

namespace Ganymede.Segmentation;

/// <summary>Where training is, for progress displays.</summary>
public sealed record TrainProgress(int Epoch, int Epochs, int Step, int Steps, float Loss, double ImagesPerSecond, TimeSpan Remaining);

/// <summary>One epoch's figures, as written to metrics.csv and metrics.jsonl.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double ValidLoss, double Dice, double PooledDice, double Precision, double Recall, double LearningRate, double Seconds, int Size);

/// <summary>How a run ended.</summary>
public sealed record TrainResult(bool Interrupted, int Epochs, double BestDice, int BestEpoch, string BestCheckpoint, string LastCheckpoint);

/// <summary>
/// Trains a UNet on a segmentation split with BCE (+ soft Dice per slice, + total variation), Adam, a schedule,
/// on-the-fly augmentation and early stopping on validation Dice. Every random choice of step s in epoch e comes from
/// a generator seeded by (seed, e, s), so a run resumed from a checkpoint continues bit for bit. The run directory holds
/// best.safetensors (the best validation Dice), last.safetensors (resumable), metrics.csv/.jsonl and curves.png.
/// </summary>
public sealed class Trainer(TrainOptions options, string runDirectory)
{
    public string BestCheckpoint => Path.Combine(runDirectory, "best.safetensors");

    public string LastCheckpoint => Path.Combine(runDirectory, "last.safetensors");

    /// <summary>The file the trainer draws the run's curves into.</summary>
    public string CurvesFigure => Path.Combine(runDirectory, "curves.png");

    /// <summary>Trains a new model in an empty run directory.</summary>
    public TrainResult Run(SegmentationSplit train, SegmentationSplit valid, ModelConfig config, ITrainingObserver? observer = null,
        CancellationToken cancel = default)
    {
        CheckInputs(train, config);
        if (File.Exists(LastCheckpoint))
            throw new ArgumentException($"{runDirectory} already holds a training run; continue it with --resume {runDirectory}, or choose another --run-dir");
        Directory.CreateDirectory(runDirectory);
        using var session = new Session(options, config);
        if (options.HeadBiasPrior) session.SetHeadBiasToPrior(train);
        return Train(session, new TrainerState(0, 0, double.NegativeInfinity, -1, OptionsRecord.Serialize(options)), train, valid, observer, cancel);
    }

    /// <summary>
    /// Continues the run in the run directory where it stopped. Its options must be the ones the run started with,
    /// unless <paramref name="allowChangedOptions"/>: then the new ones apply from here on.
    /// </summary>
    public TrainResult Resume(SegmentationSplit train, SegmentationSplit valid, ModelConfig config, bool allowChangedOptions = false,
        ITrainingObserver? observer = null, CancellationToken cancel = default)
    {
        CheckInputs(train, config);
        using var session = new Session(options, config);
        var state = Checkpoint.Resume(LastCheckpoint, session.Model, session.Optimizer);
        var changes = OptionsRecord.Differences(state.OptionsJson, options);
        if (changes.Count > 0 && !allowChangedOptions)
            throw new ArgumentException($"{runDirectory} was trained with other options ({string.Join("; ", changes)}); " +
                "resume with the same options, or allow the change (--allow-changed-options)");
        return Train(session, state with { OptionsJson = OptionsRecord.Serialize(options) }, train, valid, observer, cancel);
    }

    private void CheckInputs(SegmentationSplit train, ModelConfig config)
    {
        options.Check();
        if (train.Count == 0) throw new ArgumentException("the training set is empty");
        if (train.Images.size(1) != config.InChannels || train.Masks.size(1) != config.OutChannels)
            throw new ArgumentException($"the data has {train.Images.size(1)} image and {train.Masks.size(1)} mask channels, the model {config.InChannels} and {config.OutChannels}");
    }

    /// <summary>The model and optimizer a run trains, built the same way for a new run and a resumed one.</summary>
    private sealed class Session : IDisposable
    {
        public Session(TrainOptions options, ModelConfig config)
        {
            Config = config;
            Generator = new Generator(options.Seed);
            Model = config.Build(Generator);
            Optimizer = new Adam(Model.parameters(), lr: options.LearningRate);
        }

        public ModelConfig Config { get; }

        /// <summary>Draws the initial weights, then each step's dropout masks (reseeded per step): the run's own, so other work in the process cannot change them.</summary>
        public Generator Generator { get; }

        public UNet Model { get; }
        public Adam Optimizer { get; }

        public void SetHeadBiasToPrior(SegmentationSplit train)
        {
            if (Model.Head.bias is not { } bias) return;
            using var noGrad = torch.no_grad();
            for (int c = 0; c < Config.OutChannels; c++)
            {
                double fraction = Math.Clamp(train.Masks.select(1, c).mean().item(), 1e-4, 1 - 1e-4);
                bias.narrow(0, c, 1).fill_((float)Math.Log(fraction / (1 - fraction)));
            }
        }

        public void Dispose() => Model.Dispose();
    }

    private TrainResult Train(Session session, TrainerState state, SegmentationSplit train, SegmentationSplit valid,
        ITrainingObserver? observer, CancellationToken cancel)
    {
        using var precision = Backends.Float32Precision.With(options.Precision);
        int batch = Math.Min(options.Batch, train.Count), steps = (train.Count + batch - 1) / batch;
        var schedule = options.Schedule == LearningRateSchedule.Cosine
            ? new CosineAnnealingLR(session.Optimizer, T_max: options.Epochs * steps, eta_min: options.MinLearningRate, last_epoch: state.Epoch * steps + state.Step)
            : null;
        var clock = new Throughput(train.Count * options.Epochs - (state.Epoch * steps + state.Step) * batch);
        for (int epoch = state.Epoch; epoch < options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var (interruptedAt, lossMean) = TrainEpoch(session, schedule, train, epoch, epoch == state.Epoch ? state.Step : 0, steps, batch, clock, observer, cancel);
            if (interruptedAt is { } step)
            {
                state = state with { Epoch = epoch, Step = step };
                Checkpoint.Save(LastCheckpoint, session.Model, session.Config, session.Optimizer, state);
                SaveCurves();
                return new TrainResult(true, epoch, state.BestDice, state.BestEpoch, BestCheckpoint, LastCheckpoint);
            }
            var (validLoss, metrics) = Validate(session.Model, valid);
            var row = new EpochMetrics(epoch + 1, lossMean, validLoss, metrics.MeanDice, metrics.PooledDice, metrics.Precision, metrics.Recall,
                session.Optimizer.lr, epochClock.Elapsed.TotalSeconds, train.Images.size(2));
            Log(row);
            observer?.Epoch(row);
            // Without a validation set the last epoch is the best one.
            double score = valid.Count > 0 ? metrics.MeanDice : epoch;
            if (score > state.BestDice)
            {
                state = state with { BestDice = score, BestEpoch = epoch + 1 };
                Checkpoint.Save(BestCheckpoint, session.Model, session.Config);
            }
            state = state with { Epoch = epoch + 1, Step = 0 };
            Checkpoint.Save(LastCheckpoint, session.Model, session.Config, session.Optimizer, state);
            if (options.Patience > 0 && epoch + 1 - state.BestEpoch >= options.Patience) break;
        }
        SaveCurves();
        return new TrainResult(false, state.Epoch, state.BestDice, state.BestEpoch, BestCheckpoint, LastCheckpoint);
    }

    /// <summary>
    /// Runs the steps of one epoch from <paramref name="firstStep"/>. When cancelled it stops before a step and says
    /// which: the weights are then those after the step before it.
    /// </summary>
    private (int? InterruptedAt, double LossMean) TrainEpoch(Session session, CosineAnnealingLR? schedule, SegmentationSplit train, int epoch, int firstStep,
        int steps, int batch, Throughput clock, ITrainingObserver? observer, CancellationToken cancel)
    {
        var order = new Generator(Mix(options.Seed, epoch, -1)).Permutation(train.Count);
        double lossSum = 0;
        int lossCount = 0;
        session.Model.train();
        for (int step = firstStep; step < steps; step++)
        {
            if (cancel.IsCancellationRequested) return (step, double.NaN);
            var indices = order.Skip(step * batch).Take(batch).ToArray();
            float loss = Step(session, train, indices, Mix(options.Seed, epoch, step));
            schedule?.step();
            lossSum += loss;
            lossCount++;
            clock.Done(indices.Length);
            observer?.Report(new TrainProgress(epoch + 1, options.Epochs, step + 1, steps, loss, clock.ImagesPerSecond, clock.Remaining));
        }
        return (null, lossSum / Math.Max(1, lossCount));
    }

    private float Step(Session session, SegmentationSplit train, int[] indices, ulong seed)
    {
        using var scope = torch.NewDisposeScope();
        session.Generator.manual_seed(seed + 1);
        var (x, y) = train.Batch(indices);
        (x, y) = options.Augment.Apply(x, y, new Generator(seed));
        session.Optimizer.zero_grad();
        var loss = Loss(session.Model.forward(x), y);
        loss.backward();
        session.Optimizer.step();
        return loss.item();
    }

    /// <summary>BCE on logits, plus soft Dice on probabilities per slice, plus the original's total variation of the last channel.</summary>
    public Tensor Loss(Tensor logits, Tensor target)
    {
        var loss = F.binary_cross_entropy_with_logits(logits, target);
        if (options.DiceWeight > 0) loss = loss.add(F.soft_dice_loss(logits.sigmoid(), target, batch: false).mul(options.DiceWeight));
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

    /// <summary>metrics.jsonl's rows: NaN (no validation slices) is written as a name.</summary>
    private static readonly JsonSerializerOptions MetricsJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private const string CsvHeader = "epoch,train_loss,valid_loss,dice,pooled_dice,precision,recall,lr,seconds,size";

    private void Log(EpochMetrics m)
    {
        var csv = Path.Combine(runDirectory, "metrics.csv");
        if (!File.Exists(csv)) File.WriteAllText(csv, CsvHeader + "\n");
        File.AppendAllText(csv, string.Join(",", new object[] { m.Epoch, m.TrainLoss, m.ValidLoss, m.Dice, m.PooledDice, m.Precision, m.Recall, m.LearningRate, m.Seconds, m.Size }
            .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) + "\n");
        File.AppendAllText(Path.Combine(runDirectory, "metrics.jsonl"), JsonSerializer.Serialize(m, MetricsJson) + "\n");
    }

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

    /// <summary>Images per second over this session, and the time the images left would take at that rate.</summary>
    private sealed class Throughput(long imagesLeft)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _done;

        public void Done(int images) => _done += images;

        public double ImagesPerSecond => _done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);

        public TimeSpan Remaining => TimeSpan.FromSeconds(Math.Max(0, imagesLeft - _done) / Math.Max(ImagesPerSecond, 1e-9));
    }
}
