using Ganymede.Formats.Datasets;
using Ganymede.Formats.Hdf5;

namespace Ganymede.Segmentation;

/// <summary>
/// Images [N, C, H, W] and targets [N, K, H, W] of one split, with the original slice indices when the file records
/// them, each row's identity ("volume:slice", see <see cref="SliceId"/>), and how the pixels were packed (null when the
/// file does not say, as for H5 files not written by `data pack`).
/// </summary>
public sealed record SegmentationSplit(Tensor Images, Tensor Masks, long[] Slices, string[]? Ids = null, PackInfo? Packing = null, string Name = "split")
{
    public int Count => Images.size(0);

    /// <summary>The rows' identities; rows of files that do not record them are named by position.</summary>
    public string[] SliceIds => Ids ?? Slices.Select(k => SliceId.Of("", (int)k)).ToArray();

    /// <summary>The rows at <paramref name="indices"/> as one batch.</summary>
    public (Tensor Images, Tensor Masks) Batch(IReadOnlyList<int> indices) =>
        (torch.cat(indices.Select(i => Images.narrow(0, i, 1)).ToList(), 0), torch.cat(indices.Select(i => Masks.narrow(0, i, 1)).ToList(), 0));

    /// <summary>The split at another square size: images resized bilinearly, masks by nearest neighbour (they stay 0/1).</summary>
    public SegmentationSplit Resized(int size)
    {
        if (Count == 0 || (Images.size(2) == size && Images.size(3) == size)) return this;
        return this with
        {
            Images = F.interpolate(Images, (size, size), "bilinear").DetachFromDisposeScope(),
            Masks = F.interpolate(Masks, (size, size), "nearest").DetachFromDisposeScope(),
            Packing = Packing is null ? null : Packing with { Size = size },
        };
    }

    /// <summary>The rows at <paramref name="indices"/> as a split of their own (cross-validation folds).</summary>
    public SegmentationSplit Subset(IReadOnlyList<int> indices)
    {
        var (x, y) = Batch(indices);
        var ids = SliceIds;
        return this with
        {
            Images = x.DetachFromDisposeScope(),
            Masks = y.DetachFromDisposeScope(),
            Slices = indices.Select(i => Slices.Length > i ? Slices[i] : i).ToArray(),
            Ids = indices.Select(i => ids[i]).ToArray(),
        };
    }
}

/// <summary>Reads the H5 layout <c>data pack</c> writes (X_train, y_train, X_valid, y_valid; N, H, W, C, channels last).</summary>
public static class SegmentationData
{
    public static SegmentationSplit Load(string path, string split, bool required = true)
    {
        using var file = H5File.Open(path);
        string xName = $"X_{split}", yName = $"y_{split}";
        var packing = PackInfo.Read(file);
        if (!file.IsDataset(xName) || !file.IsDataset(yName))
        {
            if (!required) return new SegmentationSplit(torch.zeros(0, 1, 1, 1), torch.zeros(0, 1, 1, 1), [], [], packing, $"{Path.GetFileName(path)}:{xName}");
            throw new ArgumentException($"{path}: expected datasets '{xName}' and '{yName}' (as written by 'ganymede data pack'); the file has [{string.Join(", ", file.Keys)}]");
        }
        using var x = file.Dataset(xName);
        using var y = file.Dataset(yName);
        if (x.Shape.Length != 4 || y.Shape.Length != 4 || x.Shape[0] != y.Shape[0] || x.Shape[1] != y.Shape[1] || x.Shape[2] != y.Shape[2])
            throw new ArgumentException($"{path}: '{xName}' [{string.Join(", ", x.Shape)}] and '{yName}' [{string.Join(", ", y.Shape)}] must be (N, H, W, C) with the same N, H and W");
        if (required && x.Shape[0] == 0) throw new ArgumentException($"{path}: '{xName}' is empty");
        var slices = x.HasAttribute("slices") && x.GetAttribute("slices") is long[] s ? s : Enumerable.Range(0, (int)x.Shape[0]).Select(i => (long)i).ToArray();
        var ids = packing?.SliceIds(x) ?? slices.Select(k => SliceId.Of(Path.GetFileName(path), (int)k)).ToArray();
        return new SegmentationSplit(
            x.ReadTensor().permute(0, 3, 1, 2).contiguous().DetachFromDisposeScope(),
            y.ReadTensor().permute(0, 3, 1, 2).contiguous().DetachFromDisposeScope(), slices, ids, packing, $"{Path.GetFileName(path)}:{xName}");
    }
}
