using System.Globalization;

namespace Ganymede.Server.Jobs;

/// <summary>
/// Which CPUs a local job gets (its GANYMEDE_SLOTS, as a cpuset): those of the server's own that the fewest running
/// jobs hold, so that jobs that fit side by side never share a core, and ones that do not fit share evenly. Among
/// equally held CPUs each server starts from its own (by its process id), so that servers sharing a machine, which
/// do not see each other's jobs, do not all put their first job on the first CPU.
/// </summary>
public static class Cores
{
    /// <summary>The CPUs this process may run on (Cpus_allowed_list in /proc/self/status), or 0..N-1 where that is not readable.</summary>
    public static IReadOnlyList<int> Allowed()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) return Parse(line["Cpus_allowed_list:".Length..]);
        }
        catch (IOException) { }
        return Enumerable.Range(0, Environment.ProcessorCount).ToList();
    }

    /// <summary>
    /// <paramref name="count"/> CPUs from <paramref name="allowed"/>, the least held by <paramref name="held"/> first;
    /// among equally held ones, those from the <paramref name="start"/>th allowed CPU on (wrapping round).
    /// </summary>
    public static IReadOnlyList<int> Choose(IReadOnlyList<int> allowed, IEnumerable<IReadOnlyList<int>> held, int count, int start = 0)
    {
        var load = allowed.ToDictionary(c => c, _ => 0);
        foreach (var cpu in held.SelectMany(h => h))
            if (load.TryGetValue(cpu, out int n)) load[cpu] = n + 1;
        int first = allowed.Count == 0 ? 0 : start % allowed.Count;
        return Enumerable.Range(0, allowed.Count).OrderBy(i => load[allowed[i]]).ThenBy(i => (i - first + allowed.Count) % allowed.Count)
            .Take(Math.Min(count, allowed.Count)).Select(i => allowed[i]).Order().ToList();
    }

    /// <summary>A kernel CPU list ("0-3,8,10-11") as numbers; an unreadable part is skipped.</summary>
    public static IReadOnlyList<int> Parse(string list)
    {
        var cpus = new List<int>();
        foreach (var part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            if (!int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first)) continue;
            int last = ends.Length == 2 && int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out int l) ? l : first;
            for (int c = first; c <= last; c++) cpus.Add(c);
        }
        return cpus;
    }

    public static string Format(IEnumerable<int> cpus) => string.Join(',', cpus.Select(c => c.ToString(CultureInfo.InvariantCulture)));
}
