namespace Ganymede.Tracing;

/// <summary>Receives the operations a forward pass runs (the ONNX exporter builds graphs from them).</summary>
public interface IOpRecorder
{
    /// <param name="op">The operation's name as in <see cref="F"/> ("conv2d", "add", "reshape", ...).</param>
    void Record(string op, Tensor[] inputs, Tensor output, IReadOnlyDictionary<string, object> attributes);
}

/// <summary>
/// Records operations while a recorder is installed on this thread. Composite operations (softmax, linear)
/// record themselves once and hide the primitives they are made of. Costs one check when nothing records.
/// </summary>
public static class OpTrace
{
    [ThreadStatic] private static IOpRecorder? _recorder;
    [ThreadStatic] private static int _hidden;

    public static IDisposable Begin(IOpRecorder recorder)
    {
        if (_recorder is not null) throw new InvalidOperationException("a trace is already running on this thread");
        _recorder = recorder;
        return new OnDispose(() => _recorder = null);
    }

    internal static Tensor Record(string op, Tensor[] inputs, Tensor output, params (string Name, object Value)[] attributes)
    {
        if (_recorder is not null && _hidden == 0) _recorder.Record(op, inputs, output, attributes.ToDictionary(a => a.Name, a => a.Value));
        return output;
    }

    /// <summary>Runs <paramref name="compute"/> with recording hidden, then records its result as one operation.</summary>
    internal static Tensor Composite(string op, Tensor[] inputs, Func<Tensor> compute, params (string Name, object Value)[] attributes)
    {
        if (_recorder is null || _hidden > 0) return compute();
        _hidden++;
        Tensor output;
        try
        {
            output = compute();
        }
        finally
        {
            _hidden--;
        }
        return Record(op, inputs, output, attributes);
    }
}
