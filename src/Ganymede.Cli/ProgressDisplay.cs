using Ganymede.Segmentation;

namespace Ganymede.Cli;

/// <summary>
/// A progress bar on a terminal (redrawn in place on standard error); plain lines when output is redirected. With a
/// <paramref name="job"/> report (when the server runs the command), the same progress also goes to the server.
/// </summary>
internal sealed class ProgressDisplay(string prefix = "", ITrainingObserver? job = null) : ITrainingObserver
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private DateTime _lastLine = DateTime.MinValue;

    public void Report(TrainProgress p)
    {
        job?.Report(p);
        string text = $"{prefix}epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.Steps} loss {p.Loss:F4} {p.ImagesPerSecond:F1} img/s ETA {p.Remaining:hh\\:mm\\:ss}";
        if (_terminal)
        {
            int width = 24, filled = (int)(width * (double)p.Step / p.Steps);
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}   ");
        }
        else if (DateTime.UtcNow - _lastLine > TimeSpan.FromSeconds(10) || p.Step == p.Steps)
        {
            _lastLine = DateTime.UtcNow;
            Console.Error.WriteLine(text);
        }
    }

    public void Epoch(EpochMetrics m)
    {
        job?.Epoch(m);
        if (_terminal) Console.Error.WriteLine();
        string validation = double.IsNaN(m.ValidLoss) ? "no validation slices"
            : $"valid loss {m.ValidLoss:F4}, Dice {m.Dice:F4} (pooled {m.PooledDice:F4}), precision {m.Precision:F4}, recall {m.Recall:F4}";
        Console.Error.WriteLine($"{prefix}epoch {m.Epoch} ({m.Size} px): train loss {m.TrainLoss:F4}, {validation}, lr {m.LearningRate:G3}, {m.Seconds:F1} s");
    }

    public void Finish()
    {
        if (_terminal) Console.Error.WriteLine();
    }
}

/// <summary>Ctrl-C asks a long command to stop at a safe point (after the current step) instead of killing it.</summary>
internal static class CtrlC
{
    public static CancellationTokenSource Token()
    {
        var source = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (source.IsCancellationRequested) return;
            e.Cancel = true;
            Console.Error.WriteLine("\nstopping after the current step (Ctrl-C again to abort)");
            source.Cancel();
        };
        return source;
    }
}
