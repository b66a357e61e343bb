namespace Ganymede.Autograd;

/// <summary>
/// Disposes every tensor created inside it when it ends, returning their memory to the pool: wrap a
/// training step in one and memory stays flat. Tensors that must outlive it are moved out with
/// <see cref="Tensor.MoveToOuterDisposeScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>.
/// Parameters, gradients and optimizer state are created detached, so they survive every scope.
/// The current scope belongs to the flow of execution that opened it (an <see cref="AsyncLocal{T}"/>), so code
/// awaited inside it is tracked by it and other threads' tensors never are.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    private static readonly AsyncLocal<DisposeScope?> Current = new();

    private readonly DisposeScope? _outer;
    private readonly HashSet<Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = Current.Value;
        Current.Value = this;
    }

    public int Count => _tensors.Count;

    internal static void Track(Tensor tensor) => Current.Value?._tensors.Add(tensor);

    internal static void Untrack(Tensor tensor) => Current.Value?._tensors.Remove(tensor);

    internal static void MoveOut(Tensor tensor)
    {
        var scope = Current.Value;
        if (scope is null || !scope._tensors.Remove(tensor)) return;
        scope._outer?._tensors.Add(tensor);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Current.Value != this)
            throw new InvalidOperationException("dispose scopes must end in the reverse order of their creation");
        Current.Value = _outer;
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
    }
}
