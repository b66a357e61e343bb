using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.IO;

namespace Ganymede.Segmentation;

/// <summary>What watches a training run: the step progress and each finished epoch (Trainer.Run's progress and onEpoch).</summary>
public interface ITrainingObserver : IProgress<TrainProgress>
{
    void Epoch(EpochMetrics metrics);
}

/// <summary>An observer made of two functions, for scripts and tests that want one or both.</summary>
public sealed class TrainingCallbacks(Action<TrainProgress>? progress = null, Action<EpochMetrics>? epoch = null) : ITrainingObserver
{
    public void Report(TrainProgress value) => progress?.Invoke(value);

    public void Epoch(EpochMetrics metrics) => epoch?.Invoke(metrics);
}

/// <summary>
/// Reports a training run that runs as a server job: a line per epoch on stdout (the job's log), and the structured
/// progress (epoch and step of N, percent, ETA, last metrics) written atomically to the file the server names in
/// <see cref="EnvironmentVariable"/>, which the server stores and shows in GET /api/jobs/{id}.
/// </summary>
public sealed class TrainingReport(string? progressFile, TextWriter log) : ITrainingObserver
{
    /// <summary>Set by the server in every job's environment: where the job writes its progress.</summary>
    public const string EnvironmentVariable = "GANYMEDE_PROGRESS_FILE";

    private readonly Lock _lock = new();
    private EpochMetrics? _last;
    private TrainProgress? _progress;
    private long _written;

    /// <summary>The report for this process: to the job's progress file when run by the server, stdout only otherwise.</summary>
    public static TrainingReport FromEnvironment() => new(Environment.GetEnvironmentVariable(EnvironmentVariable), Console.Out);

    public void Report(TrainProgress p)
    {
        lock (_lock)
        {
            _progress = p;
            // About once a second is plenty for a server that polls; the last step of an epoch is always written.
            if (Environment.TickCount64 - _written < 1000 && p.Step != p.Steps) return;
            Write();
        }
    }

    public void Epoch(EpochMetrics m)
    {
        log.WriteLine($"epoch {m.Epoch}: loss {m.TrainLoss:F4}, validation loss {m.ValidLoss:F4}, validation Dice {m.Dice:F3}");
        log.Flush();
        lock (_lock)
        {
            _last = m;
            Write();
        }
    }

    private void Write()
    {
        _written = Environment.TickCount64;
        if (progressFile is null || _progress is not { } p) return;
        double done = p.Epochs == 0 ? 0 : ((p.Epoch - 1) + (double)p.Step / Math.Max(1, p.Steps)) / p.Epochs;
        var json = new JsonObject
        {
            ["epoch"] = p.Epoch, ["epochs"] = p.Epochs, ["step"] = p.Step, ["steps"] = p.Steps,
            ["percent"] = Math.Round(100 * done, 1), ["eta_seconds"] = Math.Round(p.Remaining.TotalSeconds), ["loss"] = Finite(p.Loss),
            ["images_per_second"] = Math.Round(p.ImagesPerSecond, 2),
        };
        if (_last is { } m)
            json["last_metrics"] = new JsonObject
            {
                ["epoch"] = m.Epoch, ["train_loss"] = Finite(m.TrainLoss), ["valid_loss"] = Finite(m.ValidLoss), ["dice"] = Finite(m.Dice),
                ["precision"] = Finite(m.Precision), ["recall"] = Finite(m.Recall),
            };
        AtomicFile.Write(progressFile, stream => JsonSerializer.Serialize(stream, json));
    }

    private static double? Finite(double v) => double.IsFinite(v) ? Math.Round(v, 5) : null;
}
