using System.Text;

namespace Ganymede.Formats;

/// <summary>
/// Names a file's kind from its first bytes, so that a reader given the wrong kind of file can say what it got
/// ("this file is a PNG image, not NIfTI") instead of quoting a header field.
/// </summary>
public static class FileSignature
{
    public const string Zip = "a ZIP archive";

    /// <summary>"a PNG image", "an HDF5 file", ...; null when the bytes match no kind known here.</summary>
    public static string? Describe(ReadOnlySpan<byte> head)
    {
        static bool Starts(ReadOnlySpan<byte> b, ReadOnlySpan<byte> magic) => b.Length >= magic.Length && b[..magic.Length].SequenceEqual(magic);
        if (Starts(head, [0x89, (byte)'P', (byte)'N', (byte)'G'])) return "a PNG image";
        if (Starts(head, [0x89, (byte)'H', (byte)'D', (byte)'F'])) return "an HDF5 file";
        if (Starts(head, [0xFF, 0xD8, 0xFF])) return "a JPEG image";
        if (Starts(head, [(byte)'P', (byte)'K', 3, 4])) return Zip;
        if (Starts(head, [0x1f, 0x8b])) return "a gzip archive";
        if (IsDicom(head)) return "a DICOM file";
        if (head.Length >= 348 && Encoding.ASCII.GetString(head.Slice(344, 3)) is "n+2" or "ni2") return "a NIfTI-2 file";
        if (Starts(head, "{"u8) || Starts(head, "["u8)) return "a JSON text";
        if (head.Length > 0 && head[..Math.Min(head.Length, 512)].IndexOfAnyInRange((byte)0, (byte)8) < 0) return "a text file";
        return null;
    }

    /// <summary>Whether the bytes start as a DICOM file does: the "DICM" marker after the 128-byte preamble (132 bytes are enough).</summary>
    public static bool IsDicom(ReadOnlySpan<byte> head) => head.Length >= 132 && head.Slice(128, 4).SequenceEqual("DICM"u8);

    /// <summary>The description of the file at <paramref name="path"/>, from its first 512 bytes.</summary>
    public static string? Describe(string path)
    {
        using var file = File.OpenRead(path);
        var head = new byte[512];
        return Describe(head.AsSpan(0, file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)));
    }
}
