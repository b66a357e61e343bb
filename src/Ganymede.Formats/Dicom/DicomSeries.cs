using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Ganymede.Formats.Dicom;

/// <summary>
/// Reads an uncompressed DICOM CT series (a folder of files, one slice each) into slices [N, rows, columns] in
/// Hounsfield units (stored value × RescaleSlope + RescaleIntercept). Slices are ordered by their position along the
/// normal of the image plane (ImagePositionPatient projected on row × column direction), as converters such as
/// dcm2niix order them, and each slice keeps DICOM's own pixel order (first row at the top). Transfer syntaxes:
/// implicit and explicit VR little endian; compressed series are refused with the way to convert them.
/// </summary>
public static class DicomSeries
{
    /// <summary>Whether <paramref name="path"/> is a folder holding DICOM files (by the "DICM" marker after the 128-byte preamble).</summary>
    public static bool IsSeries(string path) => Directory.Exists(path) && Files(path).Any();

    public static Tensor Load(string folder)
    {
        var files = Files(folder).ToArray();
        if (files.Length == 0) throw new ArgumentException($"{folder}: no DICOM files (files with the DICM marker)");
        var slices = files.Select(f => DicomSlice.Read(f)).ToList();
        var first = slices[0];
        foreach (var s in slices)
        {
            if (s.Rows != first.Rows || s.Columns != first.Columns)
                throw new InvalidDataException($"{s.File}: {s.Columns}x{s.Rows} pixels, but {first.File} has {first.Columns}x{first.Rows}: a series has one size");
            if (s.SeriesUid != first.SeriesUid)
                throw new InvalidDataException($"{folder}: the files belong to more than one series ({first.SeriesUid} and {s.SeriesUid}); give one series a folder");
        }
        var normal = first.Normal;
        var ordered = slices.OrderBy(s => s.Position is { } p ? Dot(p, normal) : s.Instance).ToList();
        var positions = ordered.Where(s => s.Position is not null).Select(s => Dot(s.Position!, normal)).ToList();
        for (int i = 1; i < positions.Count; i++)
            if (Math.Abs(positions[i] - positions[i - 1]) < 1e-4)
                throw new InvalidDataException($"{folder}: two slices lie at the same position ({positions[i]:F2} mm along the normal): is one slice duplicated?");
        int plane = first.Rows * first.Columns;
        var values = new float[ordered.Count * plane];
        for (int k = 0; k < ordered.Count; k++) ordered[k].Pixels.CopyTo(values.AsSpan(k * plane, plane));
        return torch.tensor(values, ordered.Count, first.Rows, first.Columns);
    }

    /// <summary>A series uploaded as one zip archive of its files (folders inside are fine): extracted to a temporary folder and read.</summary>
    public static Tensor LoadZip(string zipPath)
    {
        var folder = Directory.CreateTempSubdirectory("ganymede-dicom-");
        try
        {
            // ExtractToDirectory refuses entries that would land outside the folder.
            System.IO.Compression.ZipFile.ExtractToDirectory(zipPath, folder.FullName);
            var files = Directory.EnumerateFiles(folder.FullName, "*", SearchOption.AllDirectories).Where(IsDicomFile).ToList();
            if (files.Count == 0) throw new ArgumentException($"{zipPath}: the zip archive holds no DICOM files");
            var flat = folder.CreateSubdirectory(".series");
            for (int i = 0; i < files.Count; i++) File.Move(files[i], Path.Combine(flat.FullName, $"{i:D6}.dcm"));
            return Load(flat.FullName);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFiles(folder).Where(IsDicomFile).Order(StringComparer.Ordinal);

    private static bool IsDicomFile(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[132];
        return FileSignature.IsDicom(head[..file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)]);
    }

    private static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/// <summary>One DICOM file's image and the few attributes a series needs: size, scaling, position and orientation.</summary>
internal sealed class DicomSlice
{
    private const string ImplicitLittle = "1.2.840.10008.1.2", ExplicitLittle = "1.2.840.10008.1.2.1";

    public required string File { get; init; }
    public int Rows { get; private set; }
    public int Columns { get; private set; }
    public string SeriesUid { get; private set; } = "";
    public int Instance { get; private set; }
    public double[]? Position { get; private set; }
    public double[] Normal { get; private set; } = [0, 0, 1];
    public float[] Pixels { get; private set; } = [];

    public static DicomSlice Read(string path)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        var slice = new DicomSlice { File = path };
        try
        {
            slice.Parse(bytes);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"{path}: the DICOM file is truncated");
        }
        return slice;
    }

    private void Parse(byte[] b)
    {
        int pos = 132;
        string syntax = "";
        // The file meta group (0002) is always explicit VR little endian.
        while (pos + 8 <= b.Length && BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos)) == 0x0002)
        {
            var e = Element(b, ref pos, explicitVr: true);
            if (e.Tag == 0x00020010) syntax = Text(b, e).TrimEnd('\0', ' ');
        }
        if (syntax is not (ImplicitLittle or ExplicitLittle))
            throw new InvalidDataException($"{File}: transfer syntax {syntax} is compressed or big endian; this reader takes uncompressed series: convert it first (for example with dcm2niix, then give the NIfTI file)");
        bool explicitVr = syntax == ExplicitLittle;
        int bits = 16, signed = 0, samples = 1;
        double slope = 1, intercept = 0;
        double[]? orientation = null;
        (int Offset, int Length)? pixels = null;
        while (pos + 8 <= b.Length)
        {
            var e = Element(b, ref pos, explicitVr);
            switch (e.Tag)
            {
                case 0x00280010: Rows = UShort(b, e); break;
                case 0x00280011: Columns = UShort(b, e); break;
                case 0x00280100: bits = UShort(b, e); break;
                case 0x00280103: signed = UShort(b, e); break;
                case 0x00280002: samples = UShort(b, e); break;
                case 0x00281052: intercept = Numbers(b, e)[0]; break;
                case 0x00281053: slope = Numbers(b, e)[0]; break;
                case 0x0020000E: SeriesUid = Text(b, e).TrimEnd('\0', ' '); break;
                case 0x00200013: Instance = (int)Numbers(b, e)[0]; break;
                case 0x00200032: Position = Numbers(b, e); break;
                case 0x00200037: orientation = Numbers(b, e); break;
                case 0x7FE00010: pixels = (e.Offset, e.Length); break;
            }
        }
        if (Rows <= 0 || Columns <= 0 || pixels is null) throw new InvalidDataException($"{File}: no image (Rows, Columns or PixelData missing)");
        if (samples != 1) throw new InvalidDataException($"{File}: {samples} samples per pixel; a CT series has one (greyscale)");
        if (bits is not (8 or 16)) throw new InvalidDataException($"{File}: {bits} bits allocated per pixel; this reader takes 8 or 16");
        if (Position is { Length: not 3 }) throw new InvalidDataException($"{File}: ImagePositionPatient needs 3 values");
        if (orientation is { Length: 6 })
        {
            var (r, c) = (orientation[..3], orientation[3..]);
            Normal = [r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]];
        }
        int n = Rows * Columns, size = bits / 8;
        if (pixels.Value.Length < n * size) throw new InvalidDataException($"{File}: PixelData holds {pixels.Value.Length} bytes, {Columns}x{Rows} pixels of {bits} bits need {n * size}");
        var span = b.AsSpan(pixels.Value.Offset, n * size);
        Pixels = new float[n];
        for (int i = 0; i < n; i++)
        {
            double v = size == 1 ? (signed == 1 ? (sbyte)span[i] : span[i])
                : signed == 1 ? BinaryPrimitives.ReadInt16LittleEndian(span[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * i)..]);
            Pixels[i] = (float)(v * slope + intercept);
        }
    }

    private readonly record struct DataElement(uint Tag, int Offset, int Length);

    /// <summary>Reads the element at <paramref name="pos"/> and moves past it; sequences of undefined length are skipped whole.</summary>
    private DataElement Element(byte[] b, ref int pos, bool explicitVr)
    {
        uint tag = (uint)BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos)) << 16 | BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos + 2));
        pos += 4;
        uint length;
        if (explicitVr && tag >> 16 != 0xFFFE)
        {
            string vr = Encoding.ASCII.GetString(b, pos, 2);
            if (vr is "OB" or "OD" or "OF" or "OL" or "OW" or "SQ" or "UC" or "UR" or "UT" or "UN")
            {
                length = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(pos + 4));
                pos += 8;
            }
            else
            {
                length = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos + 2));
                pos += 4;
            }
        }
        else
        {
            length = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(pos));
            pos += 4;
        }
        int offset = pos;
        if (length == uint.MaxValue)
        {
            if (tag == 0x7FE00010) throw new InvalidDataException($"{File}: the pixel data is encapsulated (compressed); convert the series first (for example with dcm2niix)");
            SkipUndefined(b, ref pos, explicitVr);
            return new DataElement(tag, offset, pos - offset);
        }
        if (length > b.Length - pos) throw new InvalidDataException($"{File}: element ({tag >> 16:X4},{tag & 0xFFFF:X4}) claims {length} bytes, past the end of the file");
        pos += (int)length;
        return new DataElement(tag, offset, (int)length);
    }

    /// <summary>Moves past the items of a sequence of undefined length, up to and including its delimiter.</summary>
    private void SkipUndefined(byte[] b, ref int pos, bool explicitVr)
    {
        while (pos + 8 <= b.Length)
        {
            var e = Element(b, ref pos, explicitVr);
            if (e.Tag is 0xFFFEE0DD or 0xFFFEE00D) return;
        }
        throw new InvalidDataException($"{File}: a sequence never ends");
    }

    private static string Text(byte[] b, DataElement e) => Encoding.ASCII.GetString(b, e.Offset, e.Length);

    private static int UShort(byte[] b, DataElement e) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(e.Offset));

    private double[] Numbers(byte[] b, DataElement e)
    {
        var parts = Text(b, e).Trim('\0', ' ').Split('\\', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new InvalidDataException($"{File}: '{parts[i]}' is not a number");
        return values;
    }
}
