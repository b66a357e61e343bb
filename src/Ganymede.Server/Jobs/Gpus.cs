using System.Text.RegularExpressions;

namespace Ganymede.Server.Jobs;

/// <summary>
/// The GPUs the local runner hands out: each job that asks for N gets N that no other running job of this server
/// holds, as its CUDA_VISIBLE_DEVICES and the device files its sandbox may open (recorded in its folder, as its cores are).
/// </summary>
public static partial class Gpus
{
    /// <summary>The GPUs the NVIDIA driver shows (/dev/nvidia0, /dev/nvidia1, ...), by number; none on a machine without.</summary>
    public static IReadOnlyList<string> Present() =>
        Directory.Exists("/dev") ? Directory.EnumerateFiles("/dev", "nvidia*").Select(Path.GetFileName).OfType<string>()
            .Select(name => DeviceName().Match(name)).Where(m => m.Success).Select(m => m.Groups[1].Value)
            .OrderBy(id => int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)).ToList() : [];

    /// <summary><paramref name="count"/> of <paramref name="all"/> that none of <paramref name="held"/> has, or null when fewer are free.</summary>
    public static IReadOnlyList<string>? Choose(IReadOnlyList<string> all, IEnumerable<IReadOnlyList<string>> held, int count)
    {
        var taken = held.SelectMany(h => h).ToHashSet();
        var free = all.Where(g => !taken.Contains(g)).ToList();
        return free.Count >= count ? free.Take(count).ToList() : null;
    }

    /// <summary>The device files a job with these GPUs needs: each GPU's, and the driver's shared ones.</summary>
    public static IReadOnlyList<string> DeviceFiles(IReadOnlyList<string> gpus) =>
        gpus.Count == 0 ? [] : [.. gpus.Select(g => "/dev/nvidia" + g), "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"];

    public static string Format(IEnumerable<string> gpus) => string.Join(',', gpus);

    public static IReadOnlyList<string> Parse(string list) => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex("^nvidia([0-9]+)$")]
    private static partial Regex DeviceName();
}
