using Ganymede.Formats.Hdf5;

namespace Ganymede.Formats.Datasets;

/// <summary>How masks become targets: one channel, 1 where the label is infection (> 0), or one channel per label 1..K.</summary>
public enum MaskClasses
{
    Infection,
    Multiclass,
}

/// <summary>What part of each slice is packed.</summary>
public enum SliceCrop
{
    /// <summary>The square around the body (<see cref="BodyCrop"/>): as good as whole slices or slightly better in
    /// cross-validation, and blind to how large a scanner framed the body.</summary>
    Body,

    /// <summary>The whole slice.</summary>
    None,
}

/// <summary>Which intensities are mapped to [0, 1].</summary>
public enum IntensityWindow
{
    /// <summary>The lung window for volumes in Hounsfield units (minimum below −500), else the volume's own range.</summary>
    Auto,

    /// <summary>The lung window, −1000 to 400 HU.</summary>
    Lung,

    /// <summary>The volume's own range.</summary>
    None,
}

/// <summary>Settings of <see cref="SegmentationPacker"/>, with the command line's defaults.</summary>
/// <param name="TestSlices">Slices kept for testing, by index (single volume) instead of <paramref name="Test"/>'s random share.</param>
/// <param name="TestVolumes">Volumes kept for testing, by file name or index, instead of <paramref name="Test"/>'s random share.</param>
public sealed record PackOptions(int Size = 256, double Valid = 0.1, double Test = 0, ulong Seed = 0, MaskClasses Classes = MaskClasses.Infection,
    IntensityWindow Window = IntensityWindow.Auto, SliceCrop Crop = SliceCrop.Body, int[]? TestSlices = null, string[]? TestVolumes = null)
{
    /// <summary>The name packs record for <see cref="Crop"/> (the H5 attribute "crop", and models' configurations).</summary>
    public string CropName => Crop == SliceCrop.Body ? "body" : "none";
}

/// <summary>One volume (a patient's scan, or a folder of PNG slices) with its masks; <paramref name="Name"/> is its file name.</summary>
public sealed record PackVolume(string Name, Tensor Images, Tensor Masks);

/// <summary>
/// Turns slices and masks into the H5 layout of the original system: X_train, y_train, X_valid, y_valid (and
/// X_test, y_test), images float32 (N, size, size, 1) in [0, 1], masks float32 (N, size, size, C). The split
/// is reproducible from the seed; with several volumes it groups by volume, so one patient's slices never sit in two
/// splits. Each split records its rows' slice indices ("slices") and volumes ("volumes", into the file's "volume_names"),
/// and the file records how pixels were scaled (<see cref="PackInfo"/>).
/// Everything is checked before anything is written, and the file appears only when complete.
/// </summary>
public static class SegmentationPacker
{
    /// <summary>Lung window (level −600 HU, width 1500), applied by default to volumes in Hounsfield units.</summary>
    public const float LungLow = -1350, LungHigh = 150;

    /// <summary>At most this many distinct labels make a mask; more means the file is an image, not a mask.</summary>
    public const int MaxLabels = 32;

    /// <param name="images">Slices [N, H, W], in any intensity unit.</param>
    /// <param name="masks">Integer labels [N, H, W], 0 for background.</param>
    /// <param name="source">The volume's name (its file), recorded with every slice.</param>
    public static PackSummary Pack(Tensor images, Tensor masks, string output, PackOptions options, string source) =>
        Pack([new PackVolume(source, images, masks)], output, options);

    public static PackSummary Pack(IReadOnlyList<PackVolume> volumes, string output, PackOptions options)
    {
        if (volumes.Count == 0) throw new ArgumentException("no volumes to pack");
        foreach (var v in volumes) Validate(v.Images, v.Masks, options, v.Name);
        if (volumes.Skip(1).FirstOrDefault(v => !v.Images.shape.AsSpan(1).SequenceEqual(volumes[0].Images.shape.AsSpan(1))) is { } odd)
            throw new ArgumentException($"{odd.Name}: slices of {odd.Images.size(1)}x{odd.Images.size(2)} differ from {volumes[0].Name}'s {volumes[0].Images.size(1)}x{volumes[0].Images.size(2)}");
        var images = torch.cat(volumes.Select(v => v.Images).ToList(), 0);
        var masks = torch.cat(volumes.Select(v => v.Masks).ToList(), 0);
        var volumeOf = volumes.SelectMany((v, i) => Enumerable.Repeat((long)i, v.Images.size(0))).ToArray();
        var sliceOf = volumes.SelectMany(v => Enumerable.Range(0, v.Images.size(0)).Select(k => (long)k)).ToArray();
        var (low, high, window) = Range(images, options.Window);
        int classes = options.Classes == MaskClasses.Infection ? 1 : Math.Max(1, (int)masks.max().item());

        var splits = Split(volumes, options);
        var located = options.Crop == SliceCrop.Body ? BodyCrops(images) : null;
        var crops = located?.Select(l => l.Crop).ToArray();
        var x = Resize(images.sub(low).div(high - low).clamp(0, 1), crops, options.Size, "bilinear");
        var y = Targets(Resize(masks, crops, options.Size, "nearest"), classes, options.Classes);
        using var file = H5File.Create(output);
        foreach (var (name, rows) in splits)
        {
            // One chunk per slice, so a batch reads only its own slices; an empty split has no chunks.
            int gzip = rows.Length > 0 ? 4 : 0;
            using var xs = file.CreateDataset($"X_{name}", Take(x, rows), chunks: gzip > 0 ? [1, options.Size, options.Size, 1] : null, gzip: gzip);
            using var ys = file.CreateDataset($"y_{name}", Take(y, rows), chunks: gzip > 0 ? [1, options.Size, options.Size, classes] : null, gzip: gzip);
            foreach (var d in new[] { xs, ys })
            {
                d.SetAttribute("slices", rows.Select(r => sliceOf[r]).ToArray());
                d.SetAttribute("volumes", rows.Select(r => volumeOf[r]).ToArray());
            }
        }
        file.SetAttribute("source", string.Join(" + ", volumes.Select(v => v.Name)));
        file.SetAttribute("seed", (long)options.Seed);
        file.SetAttribute("window", window);
        new PackInfo(low, high, options.CropName, options.Size, volumes.Select(v => ShortName(v.Name)).ToArray()).Write(file);
        file.SetAttribute("classes", options.Classes == MaskClasses.Infection ? "infection (label > 0)" : string.Join(",", Enumerable.Range(1, classes)));
        file.Commit();
        var notes = located?.Select((l, k) => l.GaveUp is null ? null : $"{SliceName(volumes, volumeOf[k], sliceOf[k])}: no body found ({l.GaveUp}); kept whole")
            .OfType<string>().ToArray() ?? [];
        return new PackSummary(splits.ToDictionary(s => s.Name, s => s.Rows.Length), classes, window, notes);
    }

    /// <summary>
    /// Rows of the concatenated volumes per split. One volume splits by slice (test first, then valid, from one seeded
    /// permutation); several split by whole volume, so that no patient is in two splits.
    /// </summary>
    private static List<(string Name, int[] Rows)> Split(IReadOnlyList<PackVolume> volumes, PackOptions o)
    {
        var starts = new int[volumes.Count + 1];
        for (int i = 0; i < volumes.Count; i++) starts[i + 1] = starts[i] + volumes[i].Images.size(0);
        int[] RowsOf(IEnumerable<int> vs) => vs.SelectMany(v => Enumerable.Range(starts[v], starts[v + 1] - starts[v])).ToArray();
        bool explicitTest = o.TestSlices is not null || o.TestVolumes is not null;
        if (explicitTest && o.Test > 0) throw new ArgumentException("give either a test fraction or a list of test slices or volumes, not both");
        if (o.TestVolumes is not null && volumes.Count == 1)
            throw new ArgumentException("test volumes need several volumes; with one volume name the test slices (--test-slices)");

        int[] test, valid, train;
        if (o.TestSlices is { } listed)
        {
            if (volumes.Count > 1) throw new ArgumentException($"test slices by number need one volume; with {volumes.Count} volumes keep whole volumes for testing (--test-volumes)");
            if (listed.FirstOrDefault(k => k < 0 || k >= starts[1], -1) is int bad and >= 0)
                throw new ArgumentException($"test slice {bad} does not exist: {volumes[0].Name} has slices 0 to {starts[1] - 1}");
            test = listed.Distinct().Order().ToArray();
            var held = test.ToHashSet();
            var rest = new Generator(o.Seed).Permutation(starts[1]).Where(k => !held.Contains(k)).ToArray();
            int validCount = (int)Math.Round(rest.Length * o.Valid);
            (valid, train) = (rest[..validCount].Order().ToArray(), rest[validCount..].Order().ToArray());
        }
        else if (volumes.Count == 1)
        {
            int n = starts[1];
            var order = new Generator(o.Seed).Permutation(n);
            int testCount = (int)Math.Round(n * o.Test), validCount = (int)Math.Round(n * o.Valid);
            (test, valid, train) = (order[..testCount].Order().ToArray(), order[testCount..(testCount + validCount)].Order().ToArray(), order[(testCount + validCount)..].Order().ToArray());
        }
        else
        {
            var order = new Generator(o.Seed).Permutation(volumes.Count);
            int[] testVolumes = o.TestVolumes is { } names ? names.Select(name => VolumeIndex(volumes, name)).Distinct().ToArray()
                : order[..WholeVolumes(volumes.Count, o.Test)];
            var rest = order.Where(v => !testVolumes.Contains(v)).ToArray();
            int validVolumes = WholeVolumes(volumes.Count, o.Valid);
            if (validVolumes >= rest.Length)
                throw new ArgumentException($"{volumes.Count} volumes cannot give {testVolumes.Length} whole volume(s) to testing, {validVolumes} to validation and still some to training: add volumes or lower --valid/--test");
            (test, valid, train) = (RowsOf(testVolumes.Order()), RowsOf(rest[..validVolumes].Order()), RowsOf(rest[validVolumes..].Order()));
        }
        if (train.Length == 0)
            throw new ArgumentException($"no slices are left for training ({starts[^1]} slices, valid {o.Valid}, test {(explicitTest ? $"{test.Length} listed" : o.Test.ToString(System.Globalization.CultureInfo.InvariantCulture))})");
        var splits = new List<(string, int[])> { ("train", train), ("valid", valid) };
        if (test.Length > 0 || o.Test > 0) splits.Add(("test", test));
        return splits;
    }

    /// <summary>How many whole volumes a fraction asks for: rounded, and at least one when the fraction is not zero.</summary>
    private static int WholeVolumes(int count, double fraction) => fraction <= 0 ? 0 : Math.Max(1, (int)Math.Round(count * fraction));

    private static int VolumeIndex(IReadOnlyList<PackVolume> volumes, string name)
    {
        for (int i = 0; i < volumes.Count; i++)
            if (ShortName(volumes[i].Name) == ShortName(name) || volumes[i].Name == name) return i;
        if (int.TryParse(name, out int index) && index >= 0 && index < volumes.Count) return index;
        throw new ArgumentException($"test volume '{name}' is not one of the volumes packed ({string.Join(", ", volumes.Select(v => Path.GetFileName(v.Name)))})");
    }

    private static void Validate(Tensor images, Tensor masks, PackOptions o, string source)
    {
        if (images.dim() != 3 || images.size(0) == 0)
            throw new ArgumentException($"{source}: expected a volume of slices [N, H, W] with N > 0, got [{string.Join(", ", images.shape)}]");
        if (!images.shape.SequenceEqual(masks.shape))
            throw new ArgumentException($"{source}: images [{string.Join(", ", images.shape)}] and masks [{string.Join(", ", masks.shape)}] differ: they need the same number of slices of the same size");
        if (o.Size <= 0) throw new ArgumentException($"size must be positive, got {o.Size}");
        if (o.Valid < 0 || o.Test < 0 || o.Valid + o.Test >= 1)
            throw new ArgumentException($"valid ({o.Valid}) and test ({o.Test}) fractions must be non-negative and leave slices for training");
        var labels = masks.ToArray();
        var odd = labels.FirstOrDefault(v => v < 0 || v != MathF.Floor(v) || v > 255, 0);
        if (odd != 0) throw new ArgumentException($"{source}: the masks hold the value {odd}, which is not a label: masks are small integers (0 for background, 1, 2, ... for classes)");
        var distinct = labels.Distinct().Order().ToArray();
        if (distinct.Length > MaxLabels)
            throw new ArgumentException($"{source}: the masks hold {distinct.Length} different values ({distinct[0]} to {distinct[^1]}), not a small set of labels (at most {MaxLabels}): is this the image volume given as masks?");
        var values = images.ToArray();
        if (values.Min() == values.Max()) throw new ArgumentException($"{source}: the image volume is empty (every voxel is {values[0]})");
    }

    /// <summary>The intensity range mapped to [0, 1]: the lung window for Hounsfield volumes (auto: minimum below −500), else the volume's own range.</summary>
    private static (float Low, float High, string Window) Range(Tensor images, IntensityWindow window)
    {
        var values = images.ToArray();
        float min = values.Min(), max = values.Max();
        return window switch
        {
            IntensityWindow.Lung => (LungLow, LungHigh, "lung"),
            IntensityWindow.None => (min, max, "none"),
            IntensityWindow.Auto when min <= -500 => (LungLow, LungHigh, "lung"),
            _ => (min, max, "none"),
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

    private static (BodyCrop Crop, string? GaveUp)[] BodyCrops(Tensor images) =>
        Enumerable.Range(0, images.size(0)).Select(k => BodyCrop.Locate(images.select(0, k).contiguous().ToArray(), images.size(1), images.size(2))).ToArray();

    private static string SliceName(IReadOnlyList<PackVolume> volumes, long volume, long slice) =>
        volumes.Count == 1 ? $"slice {slice}" : $"{ShortName(volumes[(int)volume].Name)} slice {slice}";

    /// <summary>A volume's file or folder name, as packs record it and --test-volumes names it.</summary>
    private static string ShortName(string path) => Path.GetFileName(path.TrimEnd('/', '\\'));

    private static Tensor Take(Tensor t, int[] slices) =>
        slices.Length == 0 ? torch.zeros([0, .. t.shape[1..]]) : torch.cat(slices.Select(i => t.narrow(0, i, 1)).ToList(), 0);
}

/// <summary>What a pack wrote: slices per split, channels of the masks, the intensity window used, and notes for the user (slices kept whole).</summary>
public sealed record PackSummary(Dictionary<string, int> Splits, int Classes, string Window, string[] Notes);
