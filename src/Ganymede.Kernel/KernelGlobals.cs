using Ganymede.Client;
using Ganymede.Kernel.Display;
using Ganymede.Scripting;
using Ganymede.Segmentation;

namespace Ganymede.Kernel;

/// <summary>What every notebook cell sees besides its own variables: display calls, the interrupt token, and the server client.</summary>
public sealed class KernelGlobals(IDisplaySink sink) : ScriptGlobals
{
    private GanymedeClient? _client;
    private SessionHistory? _history;

    /// <summary>Shows a value below the cell (images, tables, plots, text); the handle updates it in place.</summary>
    public DisplayHandle Display(object? value)
    {
        var handle = new DisplayHandle(sink, Guid.NewGuid().ToString("N"));
        sink.Display(Formatters.Format(value), handle.Id, update: false);
        return handle;
    }

    /// <summary>Clears the cell's output (with <paramref name="wait"/>, when the next output arrives).</summary>
    public void ClearOutput(bool wait = false) => sink.Clear(wait);

    /// <summary>Cancelled when the user interrupts the cell: pass it to long-running calls (Trainer.Run).</summary>
    public override CancellationToken Cancellation => Execution.Interrupts.Token; // the running cell's own

    /// <summary>
    /// The client of the Ganymede server named by GANYMEDE_URL and GANYMEDE_API_KEY (or the original's GALAXY_URL
    /// and API_KEY), made on first use.
    /// </summary>
    public GanymedeClient Client => _client ??= GanymedeClient.FromEnvironment();

    /// <summary>
    /// In a notebook session, the history it was started from: History.Get(hid or name) copies a dataset into inputs/,
    /// History.Put(path) stores a file as a new dataset.
    /// </summary>
    public SessionHistory History => _history ??= SessionHistory.FromEnvironment(Client);

    /// <summary>The CT slice with the mask overlaid (and the truth beside it when given), as a figure.</summary>
    public Formats.Png.PngImage Overlay(Tensor slice, Tensor mask, Tensor? truth = null) => Figures.SideBySide(slice, truth, mask);

    /// <summary>A live view of a training run: a progress line and loss/Dice curves, updated in place.</summary>
    public override TrainingView TrainingView() => new(this);
}

/// <summary>Where displays go (the kernel's iopub channel, or a test's list).</summary>
public interface IDisplaySink
{
    void Display(MimeBundle bundle, string displayId, bool update);
    void Clear(bool wait);
}

/// <summary>A shown value that can be replaced in place (update_display_data).</summary>
public sealed class DisplayHandle(IDisplaySink sink, string id)
{
    public string Id { get; } = id;

    public void Update(object? value) => sink.Display(Formatters.Format(value), Id, update: true);
}

/// <summary>Progress and curves of a training run, updating two displays in place; give it to Trainer.Run.</summary>
public sealed class TrainingView : ITrainingObserver
{
    private readonly DisplayHandle _status, _curves;
    private readonly List<EpochMetrics> _epochs = [];
    private long _lastUpdate;

    public TrainingView(KernelGlobals globals)
    {
        _status = globals.Display("starting...");
        _curves = globals.Display(new Html(""));
    }

    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    public void Report(TrainProgress p)
    {
        // At most five updates a second: each one is a message to the front end.
        if (Environment.TickCount64 - _lastUpdate < 200 && p.Step != p.Steps) return;
        _lastUpdate = Environment.TickCount64;
        int filled = p.Steps == 0 ? 0 : 30 * p.Step / p.Steps;
        _status.Update($"epoch {p.Epoch}/{p.Epochs} [{new string('#', filled)}{new string('.', 30 - filled)}] step {p.Step}/{p.Steps} loss {p.Loss:F4} {p.ImagesPerSecond:F1} img/s ETA {p.Remaining:hh\\:mm\\:ss}");
    }

    /// <summary>Called after each epoch (Trainer.Run's onEpoch).</summary>
    public void Epoch(EpochMetrics m)
    {
        _epochs.Add(m);
        _curves.Update(Figures.TrainingCurves(_epochs));
    }
}
