using Ganymede.Formats.Nifti;
using Ganymede.Formats.Png;

namespace Ganymede.Server.Services.Previews;

/// <summary>A volume as the slice viewer needs it: slices of rows x columns, and a window that shows it well.</summary>
public sealed record VolumeFacts(int Slices, int Rows, int Columns, float Min, float Max, float Level, float Width);

/// <summary>
/// The NIfTI slice viewer's pictures: slice k of a volume with a window (level and width, as radiologists set them),
/// and optionally another volume of the same geometry over it as a mask (its non-zero voxels tinted). Volumes are
/// decoded once and kept for the next slices (a few at a time: a 512 x 512 x 50 CT is 50 MiB as float32).
/// </summary>
public sealed class NiftiSlices
{
    private const int Kept = 4;
    private readonly LinkedList<(string Key, float[] Voxels, VolumeFacts Facts)> _kept = new();
    private readonly object _lock = new();

    public static readonly byte[] MaskColour = [230, 30, 30];

    public VolumeFacts Facts(string path) => Volume(path).Facts;

    /// <summary>Slice <paramref name="k"/> as a PNG, grey through the window, the mask's voxels tinted.</summary>
    public byte[] Render(string path, int k, float? level, float? width, string? maskPath)
    {
        var (voxels, facts) = Volume(path);
        if (k < 0 || k >= facts.Slices) throw ApiException.BadRequest($"slice {k} is outside the volume's {facts.Slices} slices");
        float l = level ?? facts.Level, w = Math.Max(1e-6f, width ?? facts.Width), low = l - w / 2;
        int plane = facts.Rows * facts.Columns;
        float[]? mask = null;
        if (maskPath is not null)
        {
            var (maskVoxels, maskFacts) = Volume(maskPath);
            if ((maskFacts.Slices, maskFacts.Rows, maskFacts.Columns) != (facts.Slices, facts.Rows, facts.Columns))
                throw ApiException.BadRequest($"the mask's geometry ({Geometry(maskFacts)}) is not the volume's ({Geometry(facts)})");
            mask = maskVoxels;
        }
        var samples = new ushort[plane * 3];
        for (int i = 0; i < plane; i++)
        {
            float v = voxels[k * plane + i];
            float grey = float.IsFinite(v) ? Math.Clamp((v - low) / w * 255f, 0, 255) : 0;
            bool masked = mask is not null && mask[k * plane + i] > 0;
            for (int c = 0; c < 3; c++)
                samples[i * 3 + c] = (ushort)(masked ? 0.45f * grey + 0.55f * MaskColour[c] : grey);
        }
        return new PngImage(facts.Columns, facts.Rows, 3, samples).Encode();
    }

    private static string Geometry(VolumeFacts f) => $"{f.Slices} slices of {f.Rows} x {f.Columns}";

    /// <summary>The volume's voxels, [slice, row, column], from the cache or decoded now (keyed by path, size and time written).</summary>
    private (float[] Voxels, VolumeFacts Facts) Volume(string path)
    {
        var info = new FileInfo(path);
        string key = $"{path}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        lock (_lock)
        {
            for (var node = _kept.First; node is not null; node = node.Next)
                if (node.Value.Key == key)
                {
                    _kept.Remove(node);
                    _kept.AddFirst(node);
                    return (node.Value.Voxels, node.Value.Facts);
                }
        }
        var image = NiftiImage.Load(path);
        var shape = image.Data.shape;
        // 2-D: one slice; 4-D and more: the first volume of the series.
        int columns = shape[^1], rows = shape.Length >= 2 ? shape[^2] : 1, slices = shape.Length >= 3 ? shape[^3] : 1;
        var voxels = image.Data.ToArray().AsSpan(0, slices * rows * columns).ToArray();
        var facts = FactsOf(voxels, slices, rows, columns);
        lock (_lock)
        {
            _kept.AddFirst((key, voxels, facts));
            while (_kept.Count > Kept) _kept.RemoveLast();
        }
        return (voxels, facts);
    }

    /// <summary>A CT in Hounsfield units opens in the lung window (level -600, width 1500), as the use case reads it; anything else min to max.</summary>
    private static VolumeFacts FactsOf(float[] voxels, int slices, int rows, int columns)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in voxels)
            if (float.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (min > max) (min, max) = (0, 1);
        bool hounsfield = min <= -900 && max >= 200;
        return hounsfield
            ? new VolumeFacts(slices, rows, columns, min, max, -600, 1500)
            : new VolumeFacts(slices, rows, columns, min, max, (min + max) / 2, Math.Max(1e-6f, max - min));
    }
}
