using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.IO;

namespace Ganymede.Formats.SafeTensors;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range, then the raw little-endian data. Weights move to and from PyTorch through it.
/// </summary>
public static class SafeTensorsFile
{
    private const long MaxHeader = 100 << 20;

    private static readonly Dictionary<string, int> Sizes = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Writes tensors (float32 as F32, int64 as I64, uint8 as U8, bool as BOOL) and string metadata; atomic (temporary name, then rename).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var blobs = new List<byte[]>();
        foreach (var (name, tensor) in ordered)
        {
            var (dtype, bytes) = Encode(tensor);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The data starts 8-byte aligned: the header is padded with spaces, as the reference writer does.
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (int i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var blob in blobs) file.Write(blob);
        });
    }

    /// <summary>Reads every tensor (floating types as float32, integers as int64, BOOL as bool) and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path) => Load(File.ReadAllBytes(path), path);

    /// <summary>As <see cref="Load(string)"/>, from a file's bytes already read (<paramref name="path"/> names it in errors).</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(byte[] bytes, string path)
    {
        var (entries, metadata, dataStart) = ParseHeader(bytes, path);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var e in entries)
            tensors[e.Name] = Decode(bytes.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin)), e.DType, e.Shape);
        return (tensors, metadata);
    }

    /// <summary>One tensor's description in the header.</summary>
    public sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End);

    /// <summary>Validates the header against the file: known dtypes, shapes that match byte ranges, ranges inside the data and not overlapping.</summary>
    public static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ParseHeader(byte[] bytes, string path)
    {
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: not a safetensors file: {bytes.Length} bytes, shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)Math.Min(MaxHeader, bytes.Length - 8))
            throw new InvalidDataException($"{path}: header length {headerLength} does not fit a file of {bytes.Length} bytes");
        // JSON parsing checks strings' UTF-8 only when they are read: checked here, before.
        if (!System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(8, (int)headerLength))) throw new InvalidDataException($"{path}: the header is not UTF-8 text");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength), documentOptions: new() { AllowDuplicateProperties = false })?.AsObject() ?? throw new InvalidDataException($"{path}: empty header");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: header is not a JSON object: {e.Message}", e);
        }
        long dataStart = 8 + (long)headerLength, dataLength = bytes.Length - dataStart;
        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not (JsonObject or null)) throw new InvalidDataException($"{path}: __metadata__ is not an object of texts");
                // The format keeps metadata as text; another writer's number or list is kept as its JSON.
                foreach (var (key, value) in node as JsonObject ?? [])
                    metadata[key] = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "";
                continue;
            }
            try
            {
                var obj = node!.AsObject();
                string dtype = obj["dtype"]!.GetValue<string>();
                var shape = obj["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                var offsets = obj["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (!Sizes.TryGetValue(dtype, out int size)) throw new InvalidDataException($"unsupported dtype '{dtype}'");
                if (shape.Any(d => d < 0) || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw new InvalidDataException($"byte range [{string.Join(", ", offsets)}] is outside the {dataLength} data bytes");
                long expected = shape.Aggregate(1L, (a, d) => a * d) * size;
                if (offsets[1] - offsets[0] != expected)
                    throw new InvalidDataException($"shape [{string.Join(", ", shape)}] of {dtype} needs {expected} bytes, the range holds {offsets[1] - offsets[0]}");
                entries.Add(new Entry(name, dtype, shape, offsets[0], offsets[1]));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or InvalidDataException)
            {
                throw new InvalidDataException($"{path}: tensor '{name}': {e.Message}", e);
            }
        }
        var sorted = entries.OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new InvalidDataException($"{path}: tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap");
        return (entries, metadata, dataStart);
    }

    private static (string DType, byte[] Bytes) Encode(Tensor tensor)
    {
        switch (tensor.dtype)
        {
            case DType.Float32:
                var f = tensor.ToArray();
                var fb = new byte[f.Length * 4];
                for (int i = 0; i < f.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(fb.AsSpan(i * 4), f[i]);
                return ("F32", fb);
            case DType.Int64:
                var l = tensor.ToInt64Array();
                var lb = new byte[l.Length * 8];
                for (int i = 0; i < l.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(lb.AsSpan(i * 8), l[i]);
                return ("I64", lb);
            default:
                return (tensor.dtype == DType.Bool ? "BOOL" : "U8", tensor.ToArray().Select(v => (byte)v).ToArray());
        }
    }

    private static Tensor Decode(ReadOnlySpan<byte> raw, string dtype, int[] shape)
    {
        int n = (int)shape.Aggregate(1L, (a, d) => a * d);
        if (dtype is "I64" or "I32" or "I16" or "I8")
        {
            var longs = new long[n];
            for (int i = 0; i < n; i++)
                longs[i] = dtype switch
                {
                    "I64" => BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]),
                    "I32" => BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]),
                    "I16" => BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]),
                    _ => (sbyte)raw[i],
                };
            return torch.tensor(longs, shape);
        }
        var floats = new float[n];
        for (int i = 0; i < n; i++)
            floats[i] = dtype switch
            {
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]),
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16),
                _ => raw[i],
            };
        var t = torch.tensor((ReadOnlySpan<float>)floats, shape);
        return dtype == "BOOL" ? t.to(DType.Bool) : dtype == "U8" ? t.to(DType.UInt8) : t;
    }
}
