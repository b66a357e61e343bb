using Google.Protobuf;

namespace Ganymede.Onnx.Proto;

/// <summary>
/// An ONNX model without its weights: the model's fields and its graph (nodes, inputs, outputs, opsets, metadata),
/// with each initializer reduced to its name, type and shape. Read from a stream in one pass, so the memory it takes
/// is the graph's, not the weights': a model of several GiB is described in a few MiB.
/// </summary>
public static class ModelOutline
{
    /// <summary>A field outside the initializers larger than this (a huge Constant node) is refused rather than read.</summary>
    public const int MaxFieldBytes = 64 << 20;

    private const int GraphField = 7, InitializerField = 5, SparseInitializerField = 15;
    private const int TensorDimsField = 1, TensorDataTypeField = 2, TensorNameField = 8;

    /// <summary>The outline of the model in <paramref name="path"/>; malformed protobuf is an <see cref="InvalidDataException"/>.</summary>
    public static ModelProto Read(string path)
    {
        using var file = File.OpenRead(path);
        var wire = new Wire(file);
        var model = Message(wire, file.Length, (tag, output) =>
        {
            if (tag == Tag(GraphField, LengthDelimited)) Nested(wire, tag, output, Graph);
            else Copy(wire, tag, output);
        });
        try
        {
            return ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"not a valid ONNX model ({e.Message})", e);
        }
    }

    private const int LengthDelimited = 2;

    private static uint Tag(int field, int wireType) => (uint)(field << 3 | wireType);

    /// <summary>The graph's fields, with its initializers outlined and its sparse initializers left out.</summary>
    private static void Graph(Wire wire, uint tag, CodedOutputStream output)
    {
        if (tag == Tag(InitializerField, LengthDelimited)) Nested(wire, tag, output, Tensor);
        else if (tag >> 3 == SparseInitializerField) wire.SkipField(tag);
        else Copy(wire, tag, output);
    }

    /// <summary>A tensor's name, element type and shape; its data (inline, or where external data is) is skipped.</summary>
    private static void Tensor(Wire wire, uint tag, CodedOutputStream output)
    {
        if (tag >> 3 is TensorDimsField or TensorDataTypeField or TensorNameField) Copy(wire, tag, output);
        else wire.SkipField(tag);
    }

    /// <summary>A length-delimited message field, rewritten field by field by <paramref name="field"/>.</summary>
    private static void Nested(Wire wire, uint tag, CodedOutputStream output, Action<Wire, uint, CodedOutputStream> field)
    {
        long length = wire.Length();
        long end = wire.Position + length;
        var bytes = Message(wire, end, (inner, o) => field(wire, inner, o));
        output.WriteTag(tag);
        output.WriteBytes(ByteString.CopyFrom(bytes));
    }

    /// <summary>Reads fields up to <paramref name="end"/>, each handed to <paramref name="field"/>; returns what they wrote.</summary>
    private static byte[] Message(Wire wire, long end, Action<uint, CodedOutputStream> field)
    {
        var bytes = new MemoryStream();
        var output = new CodedOutputStream(bytes);
        while (wire.Position < end) field((uint)wire.Varint(), output);
        if (wire.Position != end) throw new InvalidDataException("not a valid ONNX model (a message runs past its length)");
        output.Flush();
        return bytes.ToArray();
    }

    /// <summary>Copies one field as it is.</summary>
    private static void Copy(Wire wire, uint tag, CodedOutputStream output)
    {
        switch (tag & 7)
        {
            case 0: output.WriteTag(tag); output.WriteUInt64(wire.Varint()); break;
            case 1: output.WriteTag(tag); output.WriteFixed64(BitConverter.ToUInt64(wire.Bytes(8))); break;
            case 5: output.WriteTag(tag); output.WriteFixed32(BitConverter.ToUInt32(wire.Bytes(4))); break;
            case LengthDelimited:
                long length = wire.Length();
                if (length > MaxFieldBytes)
                    throw new InvalidDataException($"a field of {length:N0} bytes outside the initializers (field {tag >> 3}): too large to describe");
                output.WriteTag(tag);
                output.WriteBytes(ByteString.CopyFrom(wire.Bytes((int)length)));
                break;
            default: throw new InvalidDataException($"not a valid ONNX model (wire type {tag & 7} in field {tag >> 3})");
        }
    }

    /// <summary>Protobuf's wire format read from a seekable stream: skipped fields are sought past, never read.</summary>
    private sealed class Wire(Stream stream)
    {
        public long Position => stream.Position;

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                int b = stream.ReadByte();
                if (b < 0) throw Truncated();
                value |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw new InvalidDataException("not a valid ONNX model (a number longer than ten bytes)");
        }

        /// <summary>A length-delimited field's length, checked against what is left of the file.</summary>
        public long Length()
        {
            ulong length = Varint();
            if (length > (ulong)(stream.Length - stream.Position)) throw Truncated();
            return (long)length;
        }

        public byte[] Bytes(int count)
        {
            var bytes = new byte[count];
            try { stream.ReadExactly(bytes); }
            catch (EndOfStreamException) { throw Truncated(); }
            return bytes;
        }

        public void SkipField(uint tag)
        {
            long skip = (tag & 7) switch
            {
                0 => 0,
                1 => 8,
                5 => 4,
                LengthDelimited => Length(),
                _ => throw new InvalidDataException($"not a valid ONNX model (wire type {tag & 7} in field {tag >> 3})"),
            };
            if ((tag & 7) == 0) Varint();
            else if (stream.Position + skip > stream.Length) throw Truncated();
            else stream.Seek(skip, SeekOrigin.Current);
        }

        private static InvalidDataException Truncated() => new("not a valid ONNX model (truncated)");
    }
}
