namespace Ganymede;

/// <summary>A scope that runs <paramref name="action"/> when disposed: how the engine's using-scopes undo a setting.</summary>
internal sealed class OnDispose(Action action) : IDisposable
{
    public void Dispose() => action();
}
