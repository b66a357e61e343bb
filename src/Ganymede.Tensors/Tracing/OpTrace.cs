namespace Ganymede.Tracing;

/// <summary>Receives the operations a forward pass runs (the ONNX exporter builds graphs from them).</summary>
public interface IOpRecorder
{
    /// <param name="op">The operation's name as in <see cref="F"/> ("conv2d", "add", "reshape", ...).</param>
    void Record(string op, Tensor[] inputs, Tensor output, IReadOnlyDictionary<string, object> attributes);
}

/// <summary>
/// Records operations while a recorder is installed in this flow of execution (an <see cref="AsyncLocal{T}"/>). Composite operations (softmax, linear)
/// record themselves once and hide the primitives they are made of. Costs one check when nothing records.
/// </summary>
public static class OpTrace
{
    private static readonly AsyncLocal<IOpRecorder?> Recorder = new();
    private static readonly AsyncLocal<int> Hidden = new();

    public static IDisposable Begin(IOpRecorder recorder)
    {
        if (Recorder.Value is not null) throw new InvalidOperationException("a trace is already running in this flow of execution");
        Recorder.Value = recorder;
        return new OnDispose(() => Recorder.Value = null);
    }

    internal static Tensor Record(string op, Tensor[] inputs, Tensor output, params (string Name, object Value)[] attributes)
    {
        if (Recorder.Value is { } recorder && Hidden.Value == 0) recorder.Record(op, inputs, output, attributes.ToDictionary(a => a.Name, a => a.Value));
        return output;
    }

    /// <summary>Runs <paramref name="compute"/> with recording hidden, then records its result as one operation.</summary>
    internal static Tensor Composite(string op, Tensor[] inputs, Func<Tensor> compute, params (string Name, object Value)[] attributes)
    {
        if (Recorder.Value is null || Hidden.Value > 0) return compute();
        Hidden.Value++;
        Tensor output;
        try
        {
            output = compute();
        }
        finally
        {
            Hidden.Value--;
        }
        return Record(op, inputs, output, attributes);
    }
}
