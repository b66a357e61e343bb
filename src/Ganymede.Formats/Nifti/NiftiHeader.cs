using System.Buffers.Binary;
using System.Text;

namespace Ganymede.Formats.Nifti;

/// <summary>NIfTI-1 data type codes this reader and writer handle.</summary>
public enum NiftiDataType : short
{
    UInt8 = 2,
    Int16 = 4,
    Int32 = 8,
    Float32 = 16,
    Float64 = 64,
    Int8 = 256,
    UInt16 = 512,
}

/// <summary>
/// The 348-byte NIfTI-1 header, field by field at the offsets of the standard (nifti1.h). Dimensions
/// are in the file's order (nibabel's: x first).
/// </summary>
public sealed class NiftiHeader
{
    public const int Size = 348;

    public int[] Dims { get; set; } = [];

    /// <summary>Byte order of the file's header and data (written files are always little-endian).</summary>
    public bool LittleEndian { get; private set; } = true;
    public NiftiDataType DataType { get; set; } = NiftiDataType.Float32;
    public float[] PixDim { get; set; } = [1, 1, 1, 1, 1, 1, 1, 1];
    public float VoxOffset { get; set; } = 352;
    public float SclSlope { get; set; } = float.NaN;
    public float SclInter { get; set; } = float.NaN;
    public byte XyztUnits { get; set; }
    public string Description { get; set; } = "";
    public short QformCode { get; set; }
    public short SformCode { get; set; }
    public float[] Quatern { get; set; } = new float[3];
    public float[] QOffset { get; set; } = new float[3];
    public float[][] SRow { get; set; } = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]];

    public int BytesPerVoxel => DataType switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 => 1,
        NiftiDataType.Int16 or NiftiDataType.UInt16 => 2,
        NiftiDataType.Int32 or NiftiDataType.Float32 => 4,
        NiftiDataType.Float64 => 8,
        _ => 0,
    };

    public long VoxelCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Parses and validates a header; <paramref name="file"/> names the source in errors.</summary>
    public static NiftiHeader Parse(ReadOnlySpan<byte> b, string file)
    {
        if (b.Length < Size && FileSignature.Describe(b) is { } small) throw new InvalidDataException($"{file}: this file is {small}, not NIfTI (.nii or .nii.gz)");
        if (b.Length < Size) throw new InvalidDataException($"{file}: not a NIfTI-1 file: {b.Length} bytes, shorter than the 348-byte header");
        bool little = BinaryPrimitives.ReadInt32LittleEndian(b) == Size;
        if (!little && BinaryPrimitives.ReadInt32BigEndian(b) != Size && FileSignature.Describe(b) is { } kind)
            throw new InvalidDataException($"{file}: this file is {kind}, not NIfTI (.nii or .nii.gz)");
        if (!little && BinaryPrimitives.ReadInt32BigEndian(b) != Size)
            throw new InvalidDataException($"{file}: not a NIfTI-1 file: header size field is {BinaryPrimitives.ReadInt32LittleEndian(b)}, expected 348");
        var magic = Encoding.ASCII.GetString(b.Slice(344, 3));
        if (magic != "n+1" && magic != "ni1")
            throw new InvalidDataException($"{file}: not a NIfTI-1 file: magic is '{Printable(b.Slice(344, 4))}', expected 'n+1'");
        var r = new Reader(b[..Size].ToArray(), little);
        var h = new NiftiHeader { LittleEndian = little };
        int rank = r.I16(40);
        if (rank < 1 || rank > 7) throw new InvalidDataException($"{file}: impossible number of dimensions {rank} (expected 1..7)");
        h.Dims = Enumerable.Range(0, rank).Select(i => (int)r.I16(42 + 2 * i)).ToArray();
        if (h.Dims.Any(d => d <= 0)) throw new InvalidDataException($"{file}: impossible dimensions [{string.Join(", ", h.Dims)}]: every size must be positive");
        // Counted in floating point: seven sizes up to 32767 overflow a long.
        if (h.Dims.Aggregate(1.0, (a, d) => a * d) > Array.MaxLength)
            throw new InvalidDataException($"{file}: a volume of [{string.Join(", ", h.Dims)}] voxels is too large");
        h.DataType = (NiftiDataType)r.I16(70);
        if (!Enum.IsDefined(h.DataType))
            throw new InvalidDataException($"{file}: unsupported NIfTI data type code {(short)h.DataType} (supported: uint8, int8, int16, uint16, int32, float32, float64)");
        h.PixDim = Enumerable.Range(0, 8).Select(i => r.F32(76 + 4 * i)).ToArray();
        h.VoxOffset = r.F32(108);
        h.SclSlope = r.F32(112);
        h.SclInter = r.F32(116);
        h.XyztUnits = b[123];
        h.Description = Encoding.ASCII.GetString(b.Slice(148, 80)).TrimEnd('\0');
        h.QformCode = r.I16(252);
        h.SformCode = r.I16(254);
        h.Quatern = [r.F32(256), r.F32(260), r.F32(264)];
        h.QOffset = [r.F32(268), r.F32(272), r.F32(276)];
        h.SRow = Enumerable.Range(0, 3).Select(row => Enumerable.Range(0, 4).Select(i => r.F32(280 + 16 * row + 4 * i)).ToArray()).ToArray();
        return h;
    }

    /// <summary>The header as 348 little-endian bytes plus the 4-byte empty extension block of a single .nii file.</summary>
    public byte[] ToBytes()
    {
        var b = new byte[352];
        var s = b.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(s, Size);
        BinaryPrimitives.WriteInt16LittleEndian(s[40..], (short)Dims.Length);
        for (int i = 0; i < 7; i++) BinaryPrimitives.WriteInt16LittleEndian(s[(42 + 2 * i)..], (short)(i < Dims.Length ? Dims[i] : 1));
        BinaryPrimitives.WriteInt16LittleEndian(s[70..], (short)DataType);
        BinaryPrimitives.WriteInt16LittleEndian(s[72..], (short)(BytesPerVoxel * 8));
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteSingleLittleEndian(s[(76 + 4 * i)..], PixDim[i]);
        BinaryPrimitives.WriteSingleLittleEndian(s[108..], 352);
        BinaryPrimitives.WriteSingleLittleEndian(s[112..], SclSlope);
        BinaryPrimitives.WriteSingleLittleEndian(s[116..], SclInter);
        b[123] = XyztUnits;
        Encoding.ASCII.GetBytes(Description.Length > 79 ? Description[..79] : Description).CopyTo(s[148..]);
        BinaryPrimitives.WriteInt16LittleEndian(s[252..], QformCode);
        BinaryPrimitives.WriteInt16LittleEndian(s[254..], SformCode);
        for (int i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(s[(256 + 4 * i)..], Quatern[i]);
            BinaryPrimitives.WriteSingleLittleEndian(s[(268 + 4 * i)..], QOffset[i]);
        }
        for (int row = 0; row < 3; row++)
            for (int i = 0; i < 4; i++) BinaryPrimitives.WriteSingleLittleEndian(s[(280 + 16 * row + 4 * i)..], SRow[row][i]);
        "n+1\0"u8.CopyTo(s[344..]);
        return b;
    }

    /// <summary>
    /// The voxel-to-world affine (4x4, row-major), chosen as nibabel does: the sform when its code is set,
    /// else the qform (quaternion), else the voxel sizes on the diagonal.
    /// </summary>
    public double[,] Affine()
    {
        var a = new double[4, 4];
        a[3, 3] = 1;
        if (SformCode > 0)
        {
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++) a[r, c] = SRow[r][c];
            return a;
        }
        if (QformCode > 0)
        {
            double b = Quatern[0], c = Quatern[1], d = Quatern[2];
            double aa = Math.Sqrt(Math.Max(0, 1 - (b * b + c * c + d * d)));
            double[,] rot =
            {
                { aa * aa + b * b - c * c - d * d, 2 * (b * c - aa * d), 2 * (b * d + aa * c) },
                { 2 * (b * c + aa * d), aa * aa + c * c - b * b - d * d, 2 * (c * d - aa * b) },
                { 2 * (b * d - aa * c), 2 * (c * d + aa * b), aa * aa + d * d - c * c - b * b },
            };
            double qfac = PixDim[0] < 0 ? -1 : 1;
            double[] zooms = [PixDim[1], PixDim[2], PixDim[3] * qfac];
            for (int r = 0; r < 3; r++)
            {
                for (int col = 0; col < 3; col++) a[r, col] = rot[r, col] * zooms[col];
                a[r, 3] = QOffset[r];
            }
            return a;
        }
        for (int i = 0; i < 3; i++) a[i, i] = i + 1 < PixDim.Length && i < Dims.Length ? PixDim[i + 1] : 1;
        return a;
    }

    private static string Printable(ReadOnlySpan<byte> bytes) =>
        new(bytes.ToArray().Select(c => c is >= 32 and < 127 ? (char)c : '?').ToArray());

    private sealed class Reader(byte[] bytes, bool little)
    {
        public short I16(int at) => little ? BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(at));

        public float F32(int at) => little ? BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(bytes.AsSpan(at));
    }
}
