using System.Buffers.Binary;
using System.IO.Compression;
using Ganymede.IO;

namespace Ganymede.Formats.Nifti;

/// <summary>
/// A NIfTI-1 volume (.nii or .nii.gz) held as a float32 tensor with scaling applied. The tensor's shape
/// is the file's dimensions reversed — [z, y, x] for a 3-D volume — which is the file's own memory
/// order, so slice k as an image is <c>Data[k]</c> (rows y, columns x): nibabel's <c>volume[:, :, k].T</c>.
/// </summary>
public sealed class NiftiImage
{
    public NiftiImage(NiftiHeader header, Tensor data)
    {
        var expected = header.Dims.Reverse().ToArray();
        if (!data.shape.SequenceEqual(expected))
            throw new ShapeException($"NIfTI data of shape [{string.Join(", ", data.shape)}] does not match header dimensions [{string.Join(", ", header.Dims)}] (expected [{string.Join(", ", expected)}])");
        Header = header;
        Data = data;
    }

    public NiftiHeader Header { get; }

    /// <summary>Voxel values, float32, shape = dimensions reversed.</summary>
    public Tensor Data { get; }

    /// <summary>Slice <paramref name="k"/> of a 3-D volume as an image [rows, columns].</summary>
    public Tensor Slice(int k) => Data.select(0, k);

    public static NiftiImage Load(string path)
    {
        byte[] bytes;
        try
        {
            using var file = File.OpenRead(path);
            bytes = IsGzip(path, file) ? ReadAll(new GZipStream(file, CompressionMode.Decompress)) : ReadAll(file);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    public static NiftiImage Parse(byte[] bytes, string name)
    {
        var header = NiftiHeader.Parse(bytes, name);
        // The comparison is false for NaN too: a header whose offset is not a number within the file is refused.
        if (!(header.VoxOffset <= bytes.Length))
            throw new InvalidDataException($"{name}: the header puts the data at offset {header.VoxOffset}, past the end of a file of {bytes.Length} bytes");
        long offset = Math.Max(352, (long)header.VoxOffset);
        long needed = header.VoxelCount * header.BytesPerVoxel;
        if (offset + needed > bytes.Length)
            throw new InvalidDataException($"{name}: data block is truncated: the header promises {needed} bytes of {header.DataType} from offset {offset}, the file has {Math.Max(0, bytes.Length - offset)}");
        var values = Decode(bytes.AsSpan((int)offset, (int)needed), header);
        return new NiftiImage(header, torch.tensor(values, header.Dims.Reverse().ToArray()));
    }

    private static float[] Decode(ReadOnlySpan<byte> raw, NiftiHeader h)
    {
        int n = (int)h.VoxelCount;
        var v = new float[n];
        bool le = h.LittleEndian;
        switch (h.DataType)
        {
            case NiftiDataType.UInt8: for (int i = 0; i < n; i++) v[i] = raw[i]; break;
            case NiftiDataType.Int8: for (int i = 0; i < n; i++) v[i] = (sbyte)raw[i]; break;
            case NiftiDataType.Int16: for (int i = 0; i < n; i++) v[i] = le ? BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]) : BinaryPrimitives.ReadInt16BigEndian(raw[(2 * i)..]); break;
            case NiftiDataType.UInt16: for (int i = 0; i < n; i++) v[i] = le ? BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) : BinaryPrimitives.ReadUInt16BigEndian(raw[(2 * i)..]); break;
            case NiftiDataType.Int32: for (int i = 0; i < n; i++) v[i] = le ? BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]) : BinaryPrimitives.ReadInt32BigEndian(raw[(4 * i)..]); break;
            case NiftiDataType.Float32: for (int i = 0; i < n; i++) v[i] = le ? BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]) : BinaryPrimitives.ReadSingleBigEndian(raw[(4 * i)..]); break;
            case NiftiDataType.Float64: for (int i = 0; i < n; i++) v[i] = (float)(le ? BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]) : BinaryPrimitives.ReadDoubleBigEndian(raw[(8 * i)..])); break;
        }
        // scl_slope 0 or NaN means "no scaling" (NIfTI-1 standard).
        if (h.SclSlope != 0 && !float.IsNaN(h.SclSlope) && (h.SclSlope != 1 || (h.SclInter != 0 && !float.IsNaN(h.SclInter))))
        {
            float inter = float.IsNaN(h.SclInter) ? 0 : h.SclInter;
            for (int i = 0; i < n; i++) v[i] = v[i] * h.SclSlope + inter;
        }
        return v;
    }

    /// <summary>
    /// Writes the volume with the header's geometry, converting values to <paramref name="dataType"/>
    /// (rounded and range-checked for integer types). Gzip when the name ends in .gz. Written to a temporary
    /// name and renamed, so a crash never leaves half a file where a good one was.
    /// </summary>
    public void Save(string path, NiftiDataType? dataType = null)
    {
        var header = Header;
        var type = dataType ?? header.DataType;
        var values = Data.ToArray();
        var data = Encode(values, type, path);
        var outHeader = new NiftiHeader
        {
            Dims = header.Dims, DataType = type, PixDim = header.PixDim, XyztUnits = header.XyztUnits, Description = header.Description,
            QformCode = header.QformCode, SformCode = header.SformCode, Quatern = header.Quatern, QOffset = header.QOffset, SRow = header.SRow,
        };
        AtomicFile.Write(path, file =>
        {
            using Stream sink = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true) : file;
            sink.Write(outHeader.ToBytes());
            sink.Write(data);
        });
    }

    /// <summary>A new image with <paramref name="data"/> and the geometry of <paramref name="like"/> (for predictions).</summary>
    public static NiftiImage Like(NiftiImage like, Tensor data, NiftiDataType dataType) => new(new NiftiHeader
    {
        Dims = like.Header.Dims, DataType = dataType, PixDim = like.Header.PixDim, XyztUnits = like.Header.XyztUnits,
        QformCode = like.Header.QformCode, SformCode = like.Header.SformCode, Quatern = like.Header.Quatern, QOffset = like.Header.QOffset, SRow = like.Header.SRow,
    }, data);

    private static byte[] Encode(float[] v, NiftiDataType type, string path)
    {
        var h = new NiftiHeader { DataType = type };
        var bytes = new byte[(long)v.Length * h.BytesPerVoxel];
        var s = bytes.AsSpan();
        for (int i = 0; i < v.Length; i++)
        {
            switch (type)
            {
                case NiftiDataType.Float32: BinaryPrimitives.WriteSingleLittleEndian(s[(4 * i)..], v[i]); break;
                case NiftiDataType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(s[(8 * i)..], v[i]); break;
                case NiftiDataType.UInt8: bytes[i] = (byte)Integer(v[i], 0, 255, type, path); break;
                case NiftiDataType.Int8: bytes[i] = (byte)(sbyte)Integer(v[i], -128, 127, type, path); break;
                case NiftiDataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(s[(2 * i)..], (short)Integer(v[i], short.MinValue, short.MaxValue, type, path)); break;
                case NiftiDataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(s[(2 * i)..], (ushort)Integer(v[i], 0, ushort.MaxValue, type, path)); break;
                case NiftiDataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(s[(4 * i)..], (int)Integer(v[i], int.MinValue, int.MaxValue, type, path)); break;
            }
        }
        return bytes;
    }

    private static double Integer(float value, double min, double max, NiftiDataType type, string path)
    {
        double r = Math.Round(value);
        if (double.IsNaN(r) || r < min || r > max)
            throw new OverflowException($"{path}: value {value} does not fit NIfTI type {type}");
        return r;
    }

    private static bool IsGzip(string path, FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int read = file.Read(magic);
        file.Position = 0;
        return (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b) || (read < 2 && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
