using Ganymede.Formats;
using Ganymede.Formats.Datasets;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Nifti;
using Ganymede.Formats.Png;

namespace Ganymede.Segmentation;

/// <summary>
/// Slices read from a file for prediction or evaluation, with what is known about them: a NIfTI volume (raw
/// intensities), a DICOM series in a folder or zip archive (raw, in Hounsfield units), a folder of PNG slices (raw 0-255), or one split of
/// an H5 file (packed pixels when `data pack` wrote it, with the masks stored beside it). Each slice carries its
/// identity (<see cref="SliceId"/>) so that scoring a model's own training slices can be flagged.
/// </summary>
/// <param name="Images">Slices [N, C, H, W].</param>
/// <param name="Packing">How an H5 file's pixels were packed; null for raw intensities.</param>
/// <param name="Truth">Masks [N, H, W] (0/1, the infection channel) stored with the slices (an H5 split's y_ dataset), or null.</param>
/// <param name="Names">For PNG folders: the file names, in order.</param>
/// <param name="Volume">For NIfTI files: the volume, whose geometry predictions are written with.</param>
public sealed record SliceFile(string Path, string Description, Tensor Images, PackInfo? Packing, string[] Ids, Tensor? Truth,
    string[]? Names = null, NiftiImage? Volume = null, string? Dataset = null)
{
    public int Count => Images.size(0);

    public static bool IsH5Path(string path) => path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase);

    /// <param name="split">For H5 files: the split ("test", "valid", "train") or dataset ("X_test"); default test, else valid.</param>
    public static SliceFile Load(string path, string? split = null)
    {
        if (Directory.Exists(path))
        {
            var (slices, names, kind) = SliceSource.LoadFolder(path);
            // A DICOM series' masks are written as PNG files named by slice number.
            if (kind == "DICOM series") names = names.Select(k => $"slice_{int.Parse(k):D4}.png").ToArray();
            return new SliceFile(path, kind, slices.unsqueeze(1), null, SliceId.Range(path, slices.size(0)), null, names);
        }
        if (IsH5Path(path)) return LoadH5(path, split);
        if (FileSignature.Describe(path) == FileSignature.Zip)
        {
            var (series, _) = SliceSource.Load(path);
            return new SliceFile(path, "DICOM series", series.unsqueeze(1), null, SliceId.Range(path, series.size(0)), null);
        }
        var volume = NiftiImage.Load(path);
        var data = volume.Data.dim() switch
        {
            2 => volume.Data.unsqueeze(0),
            3 => volume.Data,
            _ => throw new ArgumentException($"{path}: expected a 2-D image or 3-D volume of slices, got dimensions [{string.Join(", ", volume.Header.Dims)}]"),
        };
        return new SliceFile(path, "NIfTI volume", data.unsqueeze(1), null, SliceId.Range(path, data.size(0)), null, Volume: volume);
    }

    /// <summary>Masks [N, H, W] (1 where label > 0) from a NIfTI volume, a PNG folder, or an H5 file's y_ split (or y_pred).</summary>
    public static (Tensor Masks, string[] Ids) LoadMasks(string path, string? split = null)
    {
        if (IsH5Path(path))
        {
            using var file = H5File.Open(path);
            string name = file.IsDataset("y_pred") && split is null ? "y_pred" : "y_" + SplitName(file, path, split);
            if (!file.IsDataset(name)) throw new ArgumentException($"{path}: no dataset '{name}'; the file has [{string.Join(", ", file.Keys)}]");
            using var d = file.Dataset(name);
            if (d.Shape.Length != 4) throw new ArgumentException($"{path}:{name}: expected masks (N, H, W, C), got [{string.Join(", ", d.Shape)}]");
            var ids = d.HasAttribute("slice_ids") && d.GetAttribute("slice_ids") is string stored ? stored.Split(',')
                : PackInfo.Read(file)?.SliceIds(d) ?? SliceId.Range(path, (int)d.Shape[0]);
            return (d.ReadTensor().select(3, (int)d.Shape[3] - 1).gt(0.5f).@float(), ids);
        }
        var loaded = Load(path);
        return (loaded.Images.select(1, 0).gt(0).@float(), loaded.Ids);
    }

    /// <summary>The rows at <paramref name="rows"/> (for --slices), in that order.</summary>
    public SliceFile Take(int[] rows)
    {
        Tensor Take(Tensor t) => Rows(t, rows, Path);
        return this with { Images = Take(Images), Truth = Truth is null ? null : Take(Truth), Ids = rows.Select(r => Ids[r]).ToArray(), Names = Names is null ? null : rows.Select(r => Names[r]).ToArray() };
    }

    /// <summary>The rows of <paramref name="t"/> at <paramref name="rows"/>, in that order; a row past the end is an error naming <paramref name="path"/>.</summary>
    public static Tensor Rows(Tensor t, int[] rows, string path)
    {
        if (rows.FirstOrDefault(r => r >= t.size(0), -1) is int bad and >= 0)
            throw new ArgumentException($"--slices: slice {bad} does not exist; {path} has slices 0 to {t.size(0) - 1}");
        return torch.cat(rows.Select(r => t.narrow(0, r, 1)).ToList(), 0);
    }

    /// <summary>
    /// Writes masks or probabilities [N, K, H, W]: to an H5 file (dataset y_pred, channels last, with the slice ids) when
    /// <paramref name="output"/> ends in .h5, else in the input's own form: a NIfTI file with the volume's exact geometry,
    /// or a folder of PNG masks named as the input's slices.
    /// </summary>
    public void Save(Tensor predictions, string output, bool probabilities)
    {
        var lesion = predictions.select(1, predictions.size(1) - 1);
        if (IsH5Path(output))
        {
            using var file = H5File.Create(output);
            using (var d = file.CreateDataset("y_pred", predictions.permute(0, 2, 3, 1).contiguous(), gzip: 4))
                d.SetAttribute("slice_ids", string.Join(",", Ids));
            file.SetAttribute("source", Dataset is null ? System.IO.Path.GetFileName(Path) : $"{System.IO.Path.GetFileName(Path)}:{Dataset}");
            file.Commit();
        }
        else if (Names is not null)
        {
            Directory.CreateDirectory(output);
            for (int k = 0; k < Names.Length; k++)
                PngImage.FromTensor(lesion.narrow(0, k, 1).mul(255f)).Save(System.IO.Path.Combine(output, Names[k]));
        }
        else if (Volume is not null)
        {
            if (Volume.Data.numel() != lesion.numel())
                throw new ArgumentException($"{Path}: a NIfTI prediction needs every slice of the volume; for some slices write an H5 file (--out pred.h5)");
            NiftiImage.Like(Volume, lesion.reshape(Volume.Data.shape), probabilities ? NiftiDataType.Float32 : NiftiDataType.UInt8).Save(output);
        }
        else throw new ArgumentException($"{output}: predictions for {Description} are written to an H5 file (--out NAME.h5)");
    }

    private static SliceFile LoadH5(string path, string? split)
    {
        using var file = H5File.Open(path);
        string name = "X_" + SplitName(file, path, split);
        if (!file.IsDataset(name)) throw new ArgumentException($"{path}: no dataset '{name}'; the file has [{string.Join(", ", file.Keys)}]");
        using var d = file.Dataset(name);
        if (d.Shape.Length != 4) throw new ArgumentException($"{path}:{name}: expected slices (N, H, W, C), got [{string.Join(", ", d.Shape)}]");
        var x = d.ReadTensor().permute(0, 3, 1, 2).contiguous();
        var packing = PackInfo.Read(file);
        var ids = packing?.SliceIds(d) ?? SliceId.Range(path, (int)d.Shape[0]);
        Tensor? truth = null;
        string truthName = "y_" + name[2..];
        if (file.IsDataset(truthName))
        {
            using var y = file.Dataset(truthName);
            if (y.Shape.Length == 4 && y.Shape[0] == d.Shape[0] && y.Shape[1] == d.Shape[1] && y.Shape[2] == d.Shape[2])
                truth = y.ReadTensor().select(3, (int)y.Shape[3] - 1).gt(0.5f).@float();
        }
        return new SliceFile(path, packing is null ? "H5 slices" : "packed H5 slices", x, packing, ids, truth, Dataset: name);
    }

    /// <summary>"test" from "test", "X_test" or "y_test"; without a name, test if the file has it, else valid.</summary>
    private static string SplitName(H5File file, string path, string? split)
    {
        if (split is not null) return split.StartsWith("X_", StringComparison.Ordinal) || split.StartsWith("y_", StringComparison.Ordinal) ? split[2..] : split;
        if (file.IsDataset("X_test") || file.IsDataset("y_test")) return "test";
        if (file.IsDataset("X_valid") || file.IsDataset("y_valid")) return "valid";
        throw new ArgumentException($"{path}: no test or valid split; name one with --split (the file has [{string.Join(", ", file.Keys)}])");
    }
}
