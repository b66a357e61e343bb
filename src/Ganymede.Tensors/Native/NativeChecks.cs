namespace Ganymede.Native;

/// <summary>
/// Length checks at the native boundary: a span about to become a raw pointer (for a native library or a parallel
/// kernel) must hold what the geometry it is used with needs, or the call stops with an exception naming it.
/// </summary>
internal static class NativeChecks
{
    public static void Require(string what, int length, long needed)
    {
        if (length < needed) throw new InvalidOperationException($"internal: the {what} holds {length} values where its geometry needs {needed}");
    }
}
