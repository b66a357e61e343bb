namespace Ganymede.Autograd;

/// <summary>
/// Disposes every tensor created inside it when it ends, returning their memory to the pool: wrap a
/// training step in one and memory stays flat. Tensors that must outlive it are moved out with
/// <see cref="Tensor.MoveToOuterDisposeScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>.
/// Parameters, gradients and optimizer state are created detached, so they survive every scope.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    public int Count => _tensors.Count;

    internal static void Track(Tensor tensor) => _current?._tensors.Add(tensor);

    internal static void Untrack(Tensor tensor) => _current?._tensors.Remove(tensor);

    internal static void MoveOut(Tensor tensor)
    {
        var scope = _current;
        if (scope is null || !scope._tensors.Remove(tensor)) return;
        scope._outer?._tensors.Add(tensor);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this)
            throw new InvalidOperationException("dispose scopes must end in the reverse order of their creation");
        _current = _outer;
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
    }
}
