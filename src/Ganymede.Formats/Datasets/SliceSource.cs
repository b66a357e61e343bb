using Ganymede.Formats.Dicom;
using Ganymede.Formats.Nifti;
using Ganymede.Formats.Png;

namespace Ganymede.Formats.Datasets;

/// <summary>
/// Loads slices: a NIfTI volume (slice k = volume[:, :, k].T), a DICOM series in a folder or a zip archive (in
/// Hounsfield units, <see cref="DicomSeries"/>), or a folder of PNG files in name order.
/// </summary>
public static class SliceSource
{
    /// <summary>Slices [N, rows, columns] and, for folders, the file names in order.</summary>
    public static (Tensor Slices, string[] Names) Load(string path)
    {
        if (Directory.Exists(path))
        {
            var (folderSlices, names, _) = LoadFolder(path);
            return (folderSlices, names);
        }
        if (FileSignature.Describe(path) == FileSignature.Zip)
        {
            var series = DicomSeries.LoadZip(path);
            return (series, Enumerable.Range(0, series.size(0)).Select(k => k.ToString()).ToArray());
        }
        var image = NiftiImage.Load(path);
        var slices = image.Data.dim() switch
        {
            2 => image.Data.unsqueeze(0),
            3 => image.Data,
            _ => throw new ArgumentException($"{path}: expected a 2-D image or 3-D volume, got dimensions [{string.Join(", ", image.Header.Dims)}]"),
        };
        return (slices, Enumerable.Range(0, slices.size(0)).Select(k => k.ToString()).ToArray());
    }

    /// <summary>Images and masks, checked to pair up: the same slice count and, for folders, the same file names.</summary>
    public static (Tensor Images, Tensor Masks) LoadPair(string images, string masks)
    {
        var (x, xNames) = Load(images);
        var (y, yNames) = Load(masks);
        if (Directory.Exists(images) && Directory.Exists(masks) && !xNames.SequenceEqual(yNames))
        {
            var missing = xNames.Except(yNames).Concat(yNames.Except(xNames)).Take(5);
            throw new ArgumentException($"{images} and {masks}: file names do not match (for example {string.Join(", ", missing)})");
        }
        return (x, y);
    }

    /// <summary>Slices [N, rows, columns] of a DICOM series or PNG folder, the names of its slices, and which of the two it was.</summary>
    public static (Tensor Slices, string[] Names, string Kind) LoadFolder(string folder)
    {
        if (DicomSeries.IsSeries(folder))
        {
            var series = DicomSeries.Load(folder);
            return (series, Enumerable.Range(0, series.size(0)).Select(k => k.ToString()).ToArray(), "DICOM series");
        }
        var files = Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new ArgumentException($"{folder}: no DICOM series and no .png files");
        var slices = new List<Tensor>();
        foreach (var file in files)
        {
            var png = PngImage.Load(file);
            var planes = png.ToTensor();
            // Colour slices become grey (ITU-R BT.601 luma); an alpha channel is dropped.
            var grey = png.Channels >= 3
                ? planes.select(0, 0).mul(0.299f).add(planes.select(0, 1).mul(0.587f)).add(planes.select(0, 2).mul(0.114f))
                : planes.select(0, 0);
            if (slices.Count > 0 && !grey.shape.SequenceEqual(slices[0].shape))
                throw new ArgumentException($"{file}: size {png.Width}x{png.Height} differs from {Path.GetFileName(files[0])} ({slices[0].size(1)}x{slices[0].size(0)})");
            slices.Add(grey);
        }
        return (torch.stack(slices), files.Select(f => Path.GetFileName(f)).ToArray(), "PNG slices");
    }
}
