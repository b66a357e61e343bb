using Ganymede.Formats.Hdf5;

namespace Ganymede.Formats.Datasets;

/// <summary>How masks become targets: one channel, 1 where the label is infection (> 0), or one channel per label 1..K.</summary>
public enum MaskClasses
{
    Infection,
    Multiclass,
}

/// <summary>Settings of <see cref="SegmentationPacker"/>, with the command line's defaults.</summary>
/// <param name="Crop">"body" (each slice cut to the square around the body first, <see cref="BodyCrop"/>; the default: as good as
/// whole slices or slightly better in the README's cross-validation, and blind to how large a scanner framed the body) or
/// "none" (whole slices).</param>
public sealed record PackOptions(int Size = 256, double Valid = 0.1, double Test = 0, ulong Seed = 0, MaskClasses Classes = MaskClasses.Infection, string Window = "auto",
    string Crop = "body");

/// <summary>
/// Turns slices and masks into the H5 layout of the original system: X_train, y_train, X_valid, y_valid (and
/// X_test, y_test), images float32 (N, size, size, 1) in [0, 1], masks float32 (N, size, size, C). The split
/// is reproducible from the seed, and each split's original slice indices are stored in its "slices" attribute.
/// Everything is checked before anything is written, and the file appears only when complete.
/// </summary>
public static class SegmentationPacker
{
    /// <summary>Lung window (level −600 HU, width 1500), applied by default to volumes in Hounsfield units.</summary>
    public const float LungLow = -1350, LungHigh = 150;

    /// <param name="images">Slices [N, H, W], in any intensity unit.</param>
    /// <param name="masks">Integer labels [N, H, W], 0 for background.</param>
    public static PackSummary Pack(Tensor images, Tensor masks, string output, PackOptions options, string source)
    {
        Validate(images, masks, options, source);
        int n = images.size(0);
        var (low, high, window) = Range(images, options.Window);
        var labels = masks.ToArray();
        int classes = options.Classes == MaskClasses.Infection ? 1 : (int)labels.Max();
        if (classes < 1) classes = 1;

        var order = new Generator(options.Seed).Permutation(n);
        int testCount = (int)Math.Round(n * options.Test), validCount = (int)Math.Round(n * options.Valid);
        var splits = new List<(string Name, int[] Slices)> { ("train", order[(testCount + validCount)..].Order().ToArray()), ("valid", order[testCount..(testCount + validCount)].Order().ToArray()) };
        if (options.Test > 0) splits.Add(("test", order[..testCount].Order().ToArray()));
        if (splits[0].Slices.Length == 0)
            throw new ArgumentException($"{source}: no slices are left for training ({n} slices, valid {options.Valid}, test {options.Test})");

        var crops = options.Crop == "body" ? BodyCrops(images) : null;
        var x = Resize(images.sub(low).div(high - low).clamp(0, 1), crops, options.Size, "bilinear");
        var y = Targets(Resize(masks, crops, options.Size, "nearest"), classes, options.Classes);
        using var file = H5File.Create(output);
        foreach (var (name, slices) in splits)
        {
            // One chunk per slice, so a batch reads only its own slices; an empty split has no chunks.
            int gzip = slices.Length > 0 ? 4 : 0;
            using var xs = file.CreateDataset($"X_{name}", Take(x, slices), chunks: gzip > 0 ? [1, options.Size, options.Size, 1] : null, gzip: gzip);
            using var ys = file.CreateDataset($"y_{name}", Take(y, slices), chunks: gzip > 0 ? [1, options.Size, options.Size, classes] : null, gzip: gzip);
            xs.SetAttribute("slices", slices.Select(i => (long)i).ToArray());
            ys.SetAttribute("slices", slices.Select(i => (long)i).ToArray());
        }
        file.SetAttribute("source", source);
        file.SetAttribute("size", options.Size);
        file.SetAttribute("seed", (long)options.Seed);
        file.SetAttribute("window", window);
        file.SetAttribute("crop", options.Crop);
        file.SetAttribute("intensity_range", new[] { (double)low, high });
        file.SetAttribute("classes", options.Classes == MaskClasses.Infection ? "infection (label > 0)" : string.Join(",", Enumerable.Range(1, classes)));
        file.Commit();
        return new PackSummary(splits.ToDictionary(s => s.Name, s => s.Slices.Length), classes, window);
    }

    private static void Validate(Tensor images, Tensor masks, PackOptions o, string source)
    {
        if (images.dim() != 3 || images.size(0) == 0)
            throw new ArgumentException($"{source}: expected a volume of slices [N, H, W] with N > 0, got [{string.Join(", ", images.shape)}]");
        if (!images.shape.SequenceEqual(masks.shape))
            throw new ArgumentException($"{source}: images [{string.Join(", ", images.shape)}] and masks [{string.Join(", ", masks.shape)}] differ: they need the same number of slices of the same size");
        if (o.Size <= 0) throw new ArgumentException($"size must be positive, got {o.Size}");
        if (o.Crop is not ("none" or "body")) throw new ArgumentException($"unknown crop '{o.Crop}' (expected none or body)");
        if (o.Valid < 0 || o.Test < 0 || o.Valid + o.Test >= 1)
            throw new ArgumentException($"valid ({o.Valid}) and test ({o.Test}) fractions must be non-negative and leave slices for training");
        var labels = masks.ToArray();
        var odd = labels.FirstOrDefault(v => v < 0 || v != MathF.Floor(v) || v > 255, 0);
        if (odd != 0) throw new ArgumentException($"{source}: mask value {odd} is not a label (expected integers 0..255)");
        var values = images.ToArray();
        if (values.Min() == values.Max()) throw new ArgumentException($"{source}: the image volume is empty (every voxel is {values[0]})");
    }

    /// <summary>The intensity range mapped to [0, 1]: the lung window for Hounsfield volumes (auto: minimum below −500), else the volume's own range.</summary>
    private static (float Low, float High, string Window) Range(Tensor images, string window)
    {
        var values = images.ToArray();
        float min = values.Min(), max = values.Max();
        return window switch
        {
            "lung" => (LungLow, LungHigh, "lung"),
            "none" => (min, max, "none"),
            "auto" when min <= -500 => (LungLow, LungHigh, "lung"),
            "auto" => (min, max, "none"),
            _ => throw new ArgumentException($"unknown window '{window}' (expected auto, lung or none)"),
        };
    }

    /// <param name="labels">Integer labels [N, size, size, 1], already resized.</param>
    private static Tensor Targets(Tensor labels, int classes, MaskClasses mode)
    {
        // Channels are made after resizing (nearest-neighbour on the label map keeps labels crisp).
        if (mode == MaskClasses.Infection) return labels.gt(0).@float();
        return torch.cat(Enumerable.Range(1, classes).Select(c => labels.eq(c).@float()).ToList(), 3);
    }

    /// <summary>
    /// Slices [N, H, W] resized to [N, size, size, 1] (channels last, as the original system stores them); with
    /// <paramref name="crops"/>, each slice is first cut to its square (outside the slice: the image's darkest value, label 0).
    /// </summary>
    private static Tensor Resize(Tensor planes, BodyCrop[]? crops, int size, string mode)
    {
        if (crops is null) return Resize(planes.unsqueeze(1), size, mode);
        int rows = planes.size(1), columns = planes.size(2);
        return torch.cat(crops.Select((crop, k) =>
        {
            var plane = planes.select(0, k).contiguous().ToArray();
            float fill = mode == "nearest" ? 0 : plane.Min();
            return Resize(torch.tensor(crop.Cut(plane, 1, rows, columns, fill), 1, 1, crop.Side, crop.Side), size, mode);
        }).ToList(), 0);
    }

    private static Tensor Resize(Tensor planes, int size, string mode) =>
        F.interpolate(planes, (size, size), mode).permute(0, 2, 3, 1).contiguous();

    private static BodyCrop[] BodyCrops(Tensor images) =>
        Enumerable.Range(0, images.size(0)).Select(k => BodyCrop.Find(images.select(0, k).contiguous().ToArray(), images.size(1), images.size(2))).ToArray();

    private static Tensor Take(Tensor t, int[] slices) =>
        slices.Length == 0 ? torch.zeros([0, .. t.shape[1..]]) : torch.cat(slices.Select(i => t.narrow(0, i, 1)).ToList(), 0);
}

/// <summary>What a pack wrote: slices per split, channels of the masks, the intensity window used.</summary>
public sealed record PackSummary(Dictionary<string, int> Splits, int Classes, string Window);
