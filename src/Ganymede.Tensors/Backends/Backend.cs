namespace Ganymede.Backends;

/// <summary>
/// Which backend runs the primitives. Chosen once per process: GANYMEDE_BACKEND=reference|native, or
/// <see cref="Use"/> (the command line's --backend). Native is the default; if its libraries are
/// missing, the first operation fails with a message naming the Debian package.
/// </summary>
public static class Backend
{
    private static IBackend? _current;
    private static readonly AsyncLocal<IBackend?> Scoped = new();
    private static readonly Lock Gate = new();

    public static IBackend Current
    {
        get
        {
            if (Scoped.Value is { } scoped) return scoped;
            if (_current is not null) return _current;
            lock (Gate) return _current ??= Create(Environment.GetEnvironmentVariable("GANYMEDE_BACKEND") ?? "native");
        }
    }

    /// <summary>Runs this flow of execution (thread or async flow) on <paramref name="backend"/> until disposed; tests compare backends this way.</summary>
    public static IDisposable With(IBackend backend)
    {
        var previous = Scoped.Value;
        Scoped.Value = backend;
        return new OnDispose(() => Scoped.Value = previous);
    }

    /// <summary>Selects a backend by name ("native" or "reference").</summary>
    public static void Use(string name)
    {
        lock (Gate) _current = Create(name);
    }

    public static IBackend Create(string name) => name.ToLowerInvariant() switch
    {
        "native" => new NativeBackend(),
        "reference" => new ReferenceBackend(),
        _ => throw new ArgumentException($"unknown backend '{name}': expected 'native' or 'reference'"),
    };

    /// <summary>Readable facts for logs and benchmarks.</summary>
    public static string Describe() =>
        Current is NativeBackend ? "native (oneDNN + OpenBLAS; " + NativeBackend.Describe() + ")" : Current.Name;
}
