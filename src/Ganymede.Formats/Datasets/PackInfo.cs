using System.Text.Json;
using Ganymede.Formats.Hdf5;

namespace Ganymede.Formats.Datasets;

/// <summary>
/// How `data pack` turned raw slices into the pixels it stored, read back from the file's attributes: raw values
/// in [<see cref="Low"/>, <see cref="High"/>] mapped linearly to [0, 1] (clamped), each slice first cut to the body
/// when <see cref="Crop"/> is "body", then resized to <see cref="Size"/>. Anything that feeds packed pixels to a
/// model starts from this record, so the scale is never guessed.
/// </summary>
/// <param name="Volumes">The names of the image volumes (or PNG folders) the slices came from, in the order the
/// splits' "volumes" attributes index them.</param>
public sealed record PackInfo(float Low, float High, string Crop, int Size, string[] Volumes)
{
    /// <summary>The pack's description of a file written by `data pack`, or null for any other H5 file.</summary>
    public static PackInfo? Read(H5File file)
    {
        if (!file.HasAttribute("intensity_range") || file.GetAttribute("intensity_range") is not double[] { Length: 2 } range) return null;
        string crop = file.HasAttribute("crop") && file.GetAttribute("crop") is string c ? c : "none";
        int size = file.HasAttribute("size") && file.GetAttribute("size") is long s ? (int)s : 0;
        string[] volumes = file.HasAttribute("volume_names") && file.GetAttribute("volume_names") is string json
            ? JsonSerializer.Deserialize<string[]>(json) ?? []
            : file.HasAttribute("source") && file.GetAttribute("source") is string source ? [Path.GetFileName(source.Split(" + ")[0])] : [];
        return new PackInfo((float)range[0], (float)range[1], crop, size, volumes);
    }

    /// <summary>Writes the attributes <see cref="Read"/> reads.</summary>
    public void Write(H5File file)
    {
        file.SetAttribute("intensity_range", new[] { (double)Low, High });
        file.SetAttribute("crop", Crop);
        file.SetAttribute("size", Size);
        file.SetAttribute("volume_names", JsonSerializer.Serialize(Volumes));
    }

    /// <summary>The identities ("volume:slice") of a split's rows, from its "slices" and "volumes" attributes.</summary>
    public string[] SliceIds(H5Dataset split)
    {
        var slices = split.HasAttribute("slices") && split.GetAttribute("slices") is long[] s ? s : [];
        var volumes = split.HasAttribute("volumes") && split.GetAttribute("volumes") is long[] v ? v : new long[slices.Length];
        return slices.Select((k, i) => SliceId.Of(Volumes.Length > volumes[i] ? Volumes[volumes[i]] : "", (int)k)).ToArray();
    }
}

/// <summary>
/// A slice's identity across files: the file name of its volume (or PNG folder) and its index there, as "name:k".
/// Models record the ids they were trained and validated on, so that scoring them again can be flagged.
/// </summary>
public static class SliceId
{
    public static string Of(string volume, int index) => $"{Path.GetFileName(volume.TrimEnd('/', '\\'))}:{index}";

    /// <summary>The ids of slices 0..count-1 of one volume.</summary>
    public static string[] Range(string volume, int count) => Enumerable.Range(0, count).Select(k => Of(volume, k)).ToArray();

    /// <summary>"0,3,7-9" as indices; an error names the option and the piece it could not read.</summary>
    public static int[] ParseList(string text, string option)
    {
        var result = new List<int>();
        foreach (var piece in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = piece.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length is 1 or 2 && ends.All(e => int.TryParse(e, out int v) && v >= 0))
            {
                int first = int.Parse(ends[0]), last = int.Parse(ends[^1]);
                if (last < first) throw new ArgumentException($"{option}: the range '{piece}' runs backwards");
                for (int k = first; k <= last; k++) result.Add(k);
                continue;
            }
            throw new ArgumentException($"{option}: '{piece}' is not a slice number or a range like 3-7 (slices count from 0)");
        }
        if (result.Count == 0) throw new ArgumentException($"{option}: no slices given");
        return result.Distinct().Order().ToArray();
    }
}
