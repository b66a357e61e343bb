namespace Ganymede;

/// <summary>
/// A process-wide request to stop long computations at their next safe point, raised by a host such as the
/// notebook kernel (its interrupt button). backward() checks it, so any training loop stops between steps;
/// the segmentation Trainer stops after its current step and keeps a checkpoint.
/// </summary>
public static class Interruption
{
    public static CancellationToken Token { get; set; }

    public static void ThrowIfRequested() => Token.ThrowIfCancellationRequested();
}
