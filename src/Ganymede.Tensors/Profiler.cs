using System.Diagnostics;

namespace Ganymede;

/// <summary>
/// Wall time per operation, forward and backward, when enabled (bench --profile). Off by default: a
/// disabled scope costs one static check.
/// </summary>
public static class Profiler
{
    private static readonly Dictionary<string, (double Ms, long Calls)> Totals = [];

    public static bool Enabled { get; set; }

    public static Measurement Scope(string name) => Enabled ? new Measurement(name, Stopwatch.GetTimestamp()) : default;

    /// <summary>Operations by total time, longest first.</summary>
    public static IReadOnlyList<(string Name, double Ms, long Calls)> Report()
    {
        lock (Totals) return Totals.Select(kv => (kv.Key, kv.Value.Ms, kv.Value.Calls)).OrderByDescending(r => r.Ms).ToList();
    }

    public readonly struct Measurement(string? name, long start) : IDisposable
    {
        public void Dispose()
        {
            if (name is null) return;
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            lock (Totals)
            {
                Totals.TryGetValue(name, out var t);
                Totals[name] = (t.Ms + ms, t.Calls + 1);
            }
        }
    }
}
