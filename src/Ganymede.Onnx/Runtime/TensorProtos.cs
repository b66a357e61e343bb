using System.Buffers.Binary;
using Ganymede.Onnx.Proto;
using DataType = Ganymede.Onnx.Proto.TensorProto.Types.DataType;

namespace Ganymede.Onnx.Runtime;

/// <summary>ONNX TensorProto to engine tensors: floating types become float32, integer types int64, bool stays bool.</summary>
internal static class TensorProtos
{
    public static int ElementSize(int dataType) => (DataType)dataType switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 => 8,
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        DataType.Int16 or DataType.Uint16 or DataType.Float16 or DataType.Bfloat16 => 2,
        _ => 0,
    };

    public static bool IsSupported(int dataType) => ElementSize(dataType) > 0;

    /// <param name="external">Bytes of an initializer stored outside the model file, when it is.</param>
    public static Tensor ToTensor(TensorProto t, string where, byte[]? external = null)
    {
        var dims = t.Dims.Select(d => d < 0 || d > int.MaxValue ? throw new InvalidDataException($"{where}: invalid dimension {d}") : (int)d).ToArray();
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (!IsSupported(t.DataType)) throw new NotSupportedException($"{where}: tensor type {(DataType)t.DataType} is not supported");
        var raw = external ?? (t.HasRawData ? t.RawData.ToByteArray() : null);
        var type = (DataType)t.DataType;
        if (raw is not null)
        {
            if (raw.Length != count * ElementSize(t.DataType))
                throw new InvalidDataException($"{where}: {raw.Length} bytes of data for {count} elements of {type}");
            return FromRaw(raw, type, dims, count);
        }
        return type switch
        {
            DataType.Float => Checked(t.FloatData.Count, count, where, () => torch.tensor(t.FloatData.ToArray().AsSpan(), dims)),
            DataType.Double => Checked(t.DoubleData.Count, count, where, () => torch.tensor(t.DoubleData.Select(v => (float)v).ToArray().AsSpan(), dims)),
            DataType.Int64 => Checked(t.Int64Data.Count, count, where, () => torch.tensor(t.Int64Data.ToArray().AsSpan(), dims)),
            DataType.Uint64 => Checked(t.Uint64Data.Count, count, where, () => torch.tensor(t.Uint64Data.Select(v => (long)v).ToArray().AsSpan(), dims)),
            DataType.Bool => Checked(t.Int32Data.Count, count, where, () => torch.tensor(t.Int32Data.Select(v => (float)v).ToArray().AsSpan(), dims).to(Ganymede.DType.Bool)),
            DataType.Float16 => Checked(t.Int32Data.Count, count, where, () => torch.tensor(t.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray().AsSpan(), dims)),
            _ => Checked(t.Int32Data.Count, count, where, () => torch.tensor(t.Int32Data.Select(v => (long)v).ToArray().AsSpan(), dims)),
        };
    }

    private static Tensor Checked(int have, long want, string where, Func<Tensor> make) =>
        have == want ? make() : throw new InvalidDataException($"{where}: {have} values for {want} elements");

    private static Tensor FromRaw(byte[] raw, DataType type, int[] dims, long count)
    {
        int n = (int)count;
        switch (type)
        {
            case DataType.Float:
                var f = new float[n];
                Buffer.BlockCopy(raw, 0, f, 0, raw.Length);
                return torch.tensor(f.AsSpan(), dims);
            case DataType.Double:
            case DataType.Float16:
            case DataType.Bfloat16:
                var g = new float[n];
                for (int i = 0; i < n; i++)
                    g[i] = type switch
                    {
                        DataType.Double => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan(i * 8)),
                        DataType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan(i * 2)),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(i * 2)) << 16),
                    };
                return torch.tensor(g.AsSpan(), dims);
            case DataType.Bool:
                return torch.tensor(raw.Select(b => b != 0 ? 1f : 0f).ToArray().AsSpan(), dims).to(Ganymede.DType.Bool);
            default:
                var l = new long[n];
                for (int i = 0; i < n; i++)
                    l[i] = type switch
                    {
                        DataType.Int64 or DataType.Uint64 => BinaryPrimitives.ReadInt64LittleEndian(raw.AsSpan(i * 8)),
                        DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(i * 4)),
                        DataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(i * 4)),
                        DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw.AsSpan(i * 2)),
                        DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(i * 2)),
                        DataType.Int8 => (sbyte)raw[i],
                        _ => raw[i],
                    };
                return torch.tensor(l.AsSpan(), dims);
        }
    }
}
