using System.Globalization;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Png;

namespace Ganymede.Server.Services.Previews;

/// <summary>One object of an HDF5 file as the dataset page shows it: a group or a dataset, its attributes, its place in the tree.</summary>
public sealed record H5Node(string Path, string Name, int Depth, bool IsGroup, string? DType, long[]? Shape, IReadOnlyList<(string Name, string Value)> Attributes, string? Problem)
{
    /// <summary>An array with a picture: at least two dimensions of 8 or more (rows, columns), optionally 1 or 3 channels last.</summary>
    public bool IsImage => !IsGroup && Shape is { } s && H5Preview.ImageGeometry(s) is not null && DType is not ("string" or "bool");
}

/// <summary>
/// An HDF5 dataset's tree (groups, arrays with shape, type and attributes) and a picture of the first image of any
/// image-shaped array. Bounded like the history's listing: so many objects, so deep, attribute values cut short.
/// </summary>
public static class H5Preview
{
    private const int MaxNodes = 2_000, MaxDepth = 32, MaxAttributeChars = 200;

    public static IReadOnlyList<H5Node> Tree(string path)
    {
        using var file = H5File.Open(path);
        var nodes = new List<H5Node> { new("/", "/", 0, true, null, null, Attributes(file), null) };
        Visit(file, "/", 1, nodes);
        return nodes;
    }

    private static void Visit(H5Group group, string prefix, int depth, List<H5Node> nodes)
    {
        foreach (var name in group.Keys)
        {
            if (nodes.Count >= MaxNodes || depth > MaxDepth) return;
            string full = prefix + name;
            try
            {
                if (group.IsDataset(name))
                {
                    using var dataset = group.Dataset(name);
                    nodes.Add(new H5Node(full, name, depth, false, dataset.Type.Name(), dataset.Shape, Attributes(dataset), null));
                    continue;
                }
                using var child = group.Group(name);
                nodes.Add(new H5Node(full, name, depth, true, null, null, Attributes(child), null));
                Visit(child, full + "/", depth + 1, nodes);
            }
            catch (Exception e) when (e is H5Exception or KeyNotFoundException)
            {
                nodes.Add(new H5Node(full, name, depth, false, null, null, [], e.Message));
            }
        }
    }

    private static IReadOnlyList<(string, string)> Attributes(H5Object o)
    {
        var list = new List<(string, string)>();
        try
        {
            foreach (var name in o.AttributeNames.Take(50))
            {
                string value;
                try { value = Format(o.GetAttribute(name)); }
                catch (Exception e) when (e is H5Exception or NotSupportedException or InvalidDataException) { value = "(unreadable)"; }
                list.Add((name, value.Length > MaxAttributeChars ? value[..MaxAttributeChars] + "…" : value));
            }
        }
        catch (H5Exception) { }
        return list;
    }

    private static string Format(object value) => value switch
    {
        string s => s,
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object>().Take(20).Select(i => Convert.ToString(i, CultureInfo.InvariantCulture))) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>
    /// Rows, columns and channels of an image-shaped array: [..., H, W, C] with C 1 or 3 (the original's layout,
    /// channels last), else [..., H, W] (Channels 0: no channel axis).
    /// </summary>
    public static (int Rows, int Columns, int Channels)? ImageGeometry(long[] shape)
    {
        if (shape.Length >= 3 && shape[^1] is 1 or 3 && shape[^3] >= 8 && shape[^2] >= 8) return ((int)shape[^3], (int)shape[^2], (int)shape[^1]);
        if (shape.Length >= 2 && shape[^2] >= 8 && shape[^1] >= 8) return ((int)shape[^2], (int)shape[^1], 0);
        return null;
    }

    private const long MaxImagePixels = 4096L * 4096;

    /// <summary>The first image of the array at <paramref name="datasetPath"/> as a grey PNG, stretched from its minimum to its maximum.</summary>
    public static byte[] FirstImage(string path, string datasetPath)
    {
        using var file = H5File.Open(path);
        var parts = datasetPath.Trim('/').Split('/');
        H5Group group = file;
        var opened = new List<H5Group>();
        try
        {
            foreach (var part in parts[..^1]) { group = group.Group(part); opened.Add(group); }
            if (!group.IsDataset(parts[^1])) throw new KeyNotFoundException($"{datasetPath} is not an array");
            using var dataset = group.Dataset(parts[^1]);
            var geometry = ImageGeometry(dataset.Shape) ?? throw new InvalidDataException($"{datasetPath} of shape [{string.Join(", ", dataset.Shape)}] is not image-shaped");
            var (rows, columns, channels) = geometry;
            if ((long)rows * columns > MaxImagePixels) throw new InvalidDataException($"{datasetPath}: an image of {rows} x {columns} is too large to show");
            int imageDims = channels == 0 ? 2 : 3;
            var start = new long[dataset.Shape.Length];
            var count = dataset.Shape.Select((d, i) => i >= dataset.Shape.Length - imageDims ? d : 1).ToArray();
            float[] values = dataset.Read<float>(start, count);
            return Grey(values, rows, columns, Math.Max(1, channels));
        }
        finally
        {
            foreach (var g in opened) g.Dispose();
        }
    }

    /// <summary>Grey levels from the first channel, min to max (a constant image is mid-grey).</summary>
    private static byte[] Grey(float[] values, int rows, int columns, int channels)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (int i = 0; i < rows * columns; i++)
        {
            float v = values[i * channels];
            if (float.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        }
        float scale = max > min ? 255f / (max - min) : 0;
        var samples = new ushort[rows * columns];
        for (int i = 0; i < samples.Length; i++)
        {
            float v = values[i * channels];
            samples[i] = (ushort)(float.IsFinite(v) ? (scale == 0 ? 128 : Math.Clamp((v - min) * scale, 0, 255)) : 0);
        }
        return new PngImage(columns, rows, 1, samples).Encode();
    }
}
