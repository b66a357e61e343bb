using System.Globalization;

namespace Ganymede.Server.Jobs;

/// <summary>
/// What one job may use: memory, processes (threads count, as the kernel counts them), wall-clock time, and bytes
/// written into its folder. A job over a limit is killed and ends in error naming the limit. The server's options hold
/// the defaults and per-tool overrides (`ganymede serve --job-memory 8GiB --tool-limit ganymede_train_unet:memory=16GiB`).
/// </summary>
public sealed record JobLimits(long MemoryBytes, int MaxProcesses, TimeSpan WallTime, long DiskBytes)
{
    /// <summary>Enough for a training at 256x256 on a many-core machine; an administrator sets their own.</summary>
    public static JobLimits Default { get; } = new(8L << 30, 1024, TimeSpan.FromHours(72), 20L << 30);

    /// <summary>These limits with the settings in <paramref name="text"/> applied: "memory=16GiB,processes=256,time=7d,disk=100GiB".</summary>
    public JobLimits With(string text)
    {
        var limits = this;
        foreach (var setting in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = setting.Split('=', 2) is [var n, var v] ? (n.Trim(), v.Trim()) : throw new ArgumentException($"'{setting}' is not NAME=VALUE (memory, processes, time or disk)");
            limits = name switch
            {
                "memory" => limits with { MemoryBytes = ParseBytes(value) },
                "processes" => limits with { MaxProcesses = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p >= 8 ? p : throw new ArgumentException($"processes={value}: expected a whole number of at least 8") },
                "time" => limits with { WallTime = ParseDuration(value) },
                "disk" => limits with { DiskBytes = ParseBytes(value) },
                _ => throw new ArgumentException($"unknown limit '{name}' (memory, processes, time or disk)"),
            };
        }
        return limits;
    }

    /// <summary>A size such as 512MiB, 8GiB, 1TiB or a number of bytes; at least 16 MiB (less cannot start a job).</summary>
    public static long ParseBytes(string text)
    {
        var units = new (string Suffix, long Factor)[] { ("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("", 1) };
        foreach (var (suffix, factor) in units)
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n * factor is >= 16 << 20 and < long.MaxValue)
                return (long)(n * factor);
        throw new ArgumentException($"'{text}' is not a size of at least 16MiB (write it like 512MiB, 8GiB or 1TiB)");
    }

    /// <summary>A duration such as 90s, 30m, 72h or 7d.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0)
        {
            var span = char.ToLowerInvariant(text[^1]) switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => TimeSpan.Zero };
            if (span >= TimeSpan.FromSeconds(1)) return span;
        }
        throw new ArgumentException($"'{text}' is not a duration of at least 1s (write it like 90s, 30m, 72h or 7d)");
    }

    /// <summary>A size as people read it: "512 MiB", "8 GiB", "1.5 GiB".</summary>
    public static string FormatBytes(long bytes)
    {
        var units = new[] { "bytes", "KiB", "MiB", "GiB", "TiB" };
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return value.ToString(value % 1 == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string FormatDuration(TimeSpan span) =>
        span.TotalSeconds % 86400 == 0 ? $"{span.TotalDays:0} d" : span.TotalSeconds % 3600 == 0 ? $"{span.TotalHours:0} h"
        : span.TotalSeconds % 60 == 0 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";
}
