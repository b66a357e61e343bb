using System.Diagnostics;
using System.Globalization;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>One GPU as nvidia-smi reports it.</summary>
public sealed record GpuUse(int Index, string Name, int UtilizationPercent, long MemoryUsedMiB, long MemoryTotalMiB);

/// <summary>What the machine is doing now: each core's use since the last look, memory, the data directory's disk, GPUs.</summary>
public sealed record SystemUse(IReadOnlyList<double> CorePercents, long MemoryTotal, long MemoryAvailable, long DiskTotal, long DiskFree,
    IReadOnlyList<GpuUse> Gpus, string? GpuProblem);

/// <summary>
/// The dashboard's machine figures, the original's GPU dashboard for this server: CPU per core from /proc/stat (the
/// share of time busy between two looks), memory from /proc/meminfo, the data directory's file system, and GPUs from
/// nvidia-smi when it is installed. Looks closer together than <see cref="MinInterval"/> share one sample.
/// </summary>
public sealed class SystemMonitor(FileStore files)
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500), GpuTimeout = TimeSpan.FromSeconds(3);
    private readonly object _lock = new();
    private (long Busy, long Total)[] _previous = CoreTimes();
    private DateTime _previousAt = DateTime.UtcNow;
    private SystemUse? _last;

    public SystemUse Sample()
    {
        lock (_lock)
        {
            if (_last is not null && DateTime.UtcNow - _previousAt < MinInterval) return _last;
            var now = CoreTimes();
            var percents = now.Select((t, i) => i < _previous.Length && t.Total > _previous[i].Total
                ? 100.0 * (t.Busy - _previous[i].Busy) / (t.Total - _previous[i].Total) : 0).ToList();
            (_previous, _previousAt) = (now, DateTime.UtcNow);
            var memory = MemInfo();
            var drive = new DriveInfo(files.Root);
            var (gpus, problem) = Gpus();
            return _last = new SystemUse(percents, memory.GetValueOrDefault("MemTotal"), memory.GetValueOrDefault("MemAvailable"), drive.TotalSize, drive.AvailableFreeSpace, gpus, problem);
        }
    }

    /// <summary>Busy and total jiffies of each core (the cpuN lines of /proc/stat; idle and iowait are not busy).</summary>
    private static (long Busy, long Total)[] CoreTimes()
    {
        if (!File.Exists("/proc/stat")) return [];
        return File.ReadLines("/proc/stat").Where(l => l.StartsWith("cpu", StringComparison.Ordinal) && l.Length > 3 && char.IsAsciiDigit(l[3]))
            .Select(l =>
            {
                var v = l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                long total = v.Take(8).Sum(), idle = v[3] + (v.Length > 4 ? v[4] : 0);
                return (total - idle, total);
            }).ToArray();
    }

    /// <summary>/proc/meminfo's figures in bytes.</summary>
    private static Dictionary<string, long> MemInfo() => !File.Exists("/proc/meminfo") ? [] : File.ReadLines("/proc/meminfo")
        .Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
        .ToDictionary(p => p[0], p => long.TryParse(p[1].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : 0);

    /// <summary>nvidia-smi's CSV (index, name, utilization %, memory used and total in MiB; no header, no units), a line per GPU.</summary>
    public static IReadOnlyList<GpuUse> ParseGpus(string csv) =>
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            var f = line.Split(',', StringSplitOptions.TrimEntries);
            // A figure nvidia-smi cannot read is "[N/A]" or "[Not Supported]": shown as 0.
            long Number(int i) => i < f.Length && long.TryParse(f[i], CultureInfo.InvariantCulture, out var v) ? v : 0;
            return new GpuUse((int)Number(0), f.Length > 1 ? f[1] : "GPU", (int)Number(2), Number(3), Number(4));
        }).ToList();

    /// <summary>The GPUs nvidia-smi lists, or none with the reason (not installed, failed, too slow).</summary>
    private static (IReadOnlyList<GpuUse>, string?) Gpus()
    {
        var smi = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "nvidia-smi")).FirstOrDefault(File.Exists);
        if (smi is null) return ([], "no GPU: nvidia-smi is not installed on this machine");
        try
        {
            using var process = Process.Start(new ProcessStartInfo(smi, ["--query-gpu=index,name,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(GpuTimeout)) { process.Kill(); return ([], "nvidia-smi did not answer in time"); }
            if (process.ExitCode != 0) return ([], $"nvidia-smi failed (exit code {process.ExitCode}): no usable GPU");
            var gpus = ParseGpus(output.Result);
            return (gpus, gpus.Count == 0 ? "no GPU: nvidia-smi lists none" : null);
        }
        catch (System.ComponentModel.Win32Exception e) { return ([], $"nvidia-smi could not start ({e.Message})"); }
    }
}
