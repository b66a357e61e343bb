using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Formats;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Nifti;
using Ganymede.Onnx.Proto;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Decides a stored file's type from its content (the name only breaks ties between text types) and describes it
/// for the history: a peek, a one-line blurb and format metadata (H5 structure, image size, ONNX inputs and outputs).
/// A file that claims a type it does not have is reported in the blurb, never trusted.
/// </summary>
public static class DatasetInspector
{
    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];

    /// <summary>Types a client may name in file_type; "auto" (or an unknown name) means detect.</summary>
    public static readonly string[] Known = ["h5", "onnx", "nii", "nii.gz", "png", "csv", "tabular", "txt", "csx", "ipynb", "zip", "safetensors", "json", "gz", "data"];

    public static FileFacts Inspect(string path, string? name, string? requestedType, long size, string sha256)
    {
        string detected = Detect(path, name ?? "");
        string extension = requestedType is null or "auto" or "_sniff_" || !Known.Contains(requestedType) ? detected : requestedType;
        try
        {
            var (peek, metadata, blurb) = Describe(path, extension, size);
            return new FileFacts(extension, size, sha256, peek, metadata?.ToJsonString(), blurb);
        }
        catch (Exception e) when (e is InvalidDataException or H5Exception or Google.Protobuf.InvalidProtocolBufferException or IOException or JsonException or ArgumentException)
        {
            return new FileFacts(extension, size, sha256, null, null, $"not a valid {extension} file: {e.Message}");
        }
    }

    public static string Detect(string path, string name)
    {
        var head = new byte[4096];
        int n;
        using (var s = File.OpenRead(path)) n = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var h = head.AsSpan(0, n);
        string lower = name.ToLowerInvariant();
        if (h.StartsWith(Hdf5Signature)) return "h5";
        if (h.StartsWith(PngSignature)) return "png";
        if (h.StartsWith("PK\x03\x04"u8) || h.StartsWith("PK\x05\x06"u8)) return "zip";
        if (h.Length >= 2 && h[0] == 0x1f && h[1] == 0x8b) return IsGzippedNifti(path) ? "nii.gz" : "gz";
        if (h.Length >= 348 && IsNiftiHeader(h)) return "nii";
        if (IsSafeTensors(h, new FileInfo(path).Length)) return "safetensors";
        bool text = !h.Contains((byte)0) && System.Text.Unicode.Utf8.IsValid(TrimPartialCharacter(h));
        if (!text) return lower.EndsWith(".onnx", StringComparison.Ordinal) || (h.Length > 0 && h[0] == 0x08 && IsOnnx(path)) ? "onnx" : "data";
        if (lower.EndsWith(".ipynb", StringComparison.Ordinal) || h.TrimStart(" \r\n\t"u8).StartsWith("{"u8) && LooksLikeNotebook(path)) return "ipynb";
        if (lower.EndsWith(".csx", StringComparison.Ordinal) || lower.EndsWith(".cs", StringComparison.Ordinal)) return "csx";
        if (lower.EndsWith(".json", StringComparison.Ordinal)) return "json";
        var lines = Encoding.UTF8.GetString(h).Split('\n').Where(l => l.Length > 0).Take(20).ToArray();
        if (lines.Length >= 2 && lines.Take(lines.Length - 1).All(l => l.Contains('\t')) && lines.Select(l => l.Count(c => c == '\t')).Distinct().Count() == 1) return "tabular";
        if (lines.Length >= 2 && lines.Take(lines.Length - 1).All(l => l.Contains(',')) && lines.Take(lines.Length - 1).Select(l => l.Count(c => c == ',')).Distinct().Count() == 1) return "csv";
        return "txt";
    }

    private static (string? Peek, JsonObject? Metadata, string Blurb) Describe(string path, string extension, long size)
    {
        switch (extension)
        {
            case "h5":
            {
                using var file = H5File.Open(path);
                var walk = new H5Walk();
                walk.Visit(file, "", 0);
                string stopped = walk.Stopped is { } why ? $" (listing stopped: {why})" : "";
                return (walk.Peek.ToString(), new JsonObject { ["datasets"] = walk.Items }, $"HDF5, {walk.Items.Count} datasets, {Size(size)}{stopped}");
            }
            case "png":
            {
                var head = new byte[24];
                using (var s = File.OpenRead(path)) s.ReadExactly(head);
                int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(16)), height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(20));
                return ($"PNG image {width} x {height}", new JsonObject { ["width"] = width, ["height"] = height }, $"PNG image, {width} x {height}");
            }
            case "nii" or "nii.gz":
            {
                var header = ReadNiftiHeader(path, extension == "nii.gz");
                var dims = new JsonArray(header.Dims.Select(d => (JsonNode)d).ToArray());
                var text = $"NIfTI-1 [{string.Join(" x ", header.Dims)}], {header.DataType.ToString().ToLowerInvariant()}";
                return (text, new JsonObject { ["dims"] = dims, ["datatype"] = header.DataType.ToString().ToLowerInvariant() }, text);
            }
            case "onnx":
            {
                var card = Previews.OnnxCard.Read(path);
                JsonArray Values(IEnumerable<Previews.OnnxValue> values) => new(values.Select(v => (JsonNode)new JsonObject
                {
                    ["name"] = v.Name, ["shape"] = new JsonArray((v.Dims ?? []).Select(d => (JsonNode)d).ToArray()),
                }).ToArray());
                string Describe(IEnumerable<Previews.OnnxValue> values) => string.Join(", ", values.Select(v => $"{v.Name} [{string.Join(", ", v.Dims ?? [])}]"));
                return ($"inputs: {Describe(card.Inputs)}\noutputs: {Describe(card.Outputs)}",
                    new JsonObject { ["inputs"] = Values(card.Inputs), ["outputs"] = Values(card.Outputs), ["opset"] = card.Opset, ["producer"] = card.ProducerName },
                    $"ONNX model, opset {card.Opset}, {card.Nodes} nodes");
            }
            case "zip":
            {
                using var zip = ZipFile.OpenRead(path);
                var files = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToList();
                // A series is a few thousand files at most; an archive of more is not opened entry by entry.
                int dicom = files.Count <= MaxSeriesFiles ? files.Count(IsDicomEntry) : 0;
                var listing = string.Join("\n", zip.Entries.Take(20).Select(e => e.FullName));
                return dicom > 0 && dicom == files.Count
                    ? (listing, new JsonObject { ["entries"] = zip.Entries.Count, ["dicom_files"] = dicom }, $"DICOM series in a zip archive, {dicom} files")
                    : (listing, new JsonObject { ["entries"] = zip.Entries.Count }, $"zip archive, {zip.Entries.Count} entries");
            }
            case "csv" or "tabular" or "txt" or "csx" or "json" or "ipynb":
            {
                // Bounded whatever the file: the peek from its first 64 KiB, the lines counted as bytes stream past.
                var head = new byte[64 * 1024];
                long count = 0, last = '\n';
                int read, headLength = 0;
                using (var s = File.OpenRead(path))
                {
                    var buffer = new byte[1 << 20];
                    while ((read = s.Read(buffer)) > 0)
                    {
                        int take = Math.Min(read, head.Length - headLength);
                        buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                        headLength += take;
                        count += buffer.AsSpan(0, read).Count((byte)'\n');
                        last = buffer[read - 1];
                    }
                }
                if (last != '\n') count++; // a last line without its newline
                var lines = Encoding.UTF8.GetString(head, 0, headLength).Split('\n').Take(6).Select(l => l.Length > 200 ? l[..200] : l.TrimEnd('\r'));
                return (string.Join("\n", lines).TrimEnd('\n'), new JsonObject { ["data_lines"] = count }, $"{count:N0} lines");
            }
            default:
                return (null, null, Size(size));
        }
    }

    private const int MaxSeriesFiles = 10_000;
    private const long MaxNotebookBytes = 64L << 20;

    /// <summary>Whether a zip entry starts as a DICOM file does (<see cref="FileSignature.IsDicom"/>); reads 132 bytes of it.</summary>
    private static bool IsDicomEntry(ZipArchiveEntry entry)
    {
        if (entry.Length < 132) return false;
        using var s = entry.Open();
        var head = new byte[132];
        return FileSignature.IsDicom(head.AsSpan(0, s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)));
    }

    /// <summary>
    /// Lists an HDF5 file's datasets, bounded: a branch deeper than <see cref="MaxDepth"/> levels (a soft or hard link
    /// cycle) is cut there, and a file of more than <see cref="MaxObjects"/> objects stops the listing, each said in the
    /// blurb; an entry that cannot be opened (an external link to a file the sandbox does not have) is listed as unreadable.
    /// </summary>
    private sealed class H5Walk
    {
        private const int MaxDepth = 32, MaxObjects = 10_000, MaxPeekLines = 200;
        private int _objects;
        public JsonArray Items { get; } = [];
        public StringBuilder Peek { get; } = new();
        public string? Stopped { get; private set; }

        public void Visit(H5Group group, string prefix, int depth)
        {
            if (depth > MaxDepth) { Stopped ??= $"cut at {MaxDepth} levels deep; the file may link a group into itself"; return; }
            foreach (var name in group.Keys)
            {
                if (++_objects > MaxObjects) { Stopped ??= $"more than {MaxObjects:N0} objects"; return; }
                string full = prefix + name;
                try
                {
                    if (group.IsDataset(name))
                    {
                        using var dataset = group.Dataset(name);
                        Items.Add(new JsonObject { ["name"] = full, ["dtype"] = dataset.Type.Name(), ["shape"] = new JsonArray(dataset.Shape.Select(d => (JsonNode)d).ToArray()) });
                        if (Items.Count <= MaxPeekLines) Peek.Append(full).Append(": ").Append(dataset.Type.Name()).Append(" [").AppendJoin(", ", dataset.Shape).Append("]\n");
                        continue;
                    }
                    using var child = group.Group(name);
                    Visit(child, full + "/", depth + 1);
                }
                catch (Exception e) when (e is H5Exception or KeyNotFoundException) // a link to elsewhere, a name that is not UTF-8
                {
                    if (Items.Count <= MaxPeekLines) Peek.Append(full).Append(": unreadable (").Append(e.Message).Append(")\n");
                }
                if (_objects > MaxObjects) return;
            }
        }
    }

    private static string Size(long bytes) => Api.GalaxyViews.NiceSize(bytes);

    private static NiftiHeader ReadNiftiHeader(string path, bool gzip)
    {
        using var file = File.OpenRead(path);
        using Stream s = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        var header = new byte[348];
        s.ReadExactly(header);
        return NiftiHeader.Parse(header, path);
    }

    private static bool IsNiftiHeader(ReadOnlySpan<byte> h) =>
        (BitConverter.ToInt32(h) == 348 || System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(h) == 348)
        && (h[344..348].SequenceEqual("n+1\0"u8) || h[344..348].SequenceEqual("ni1\0"u8));

    private static bool IsGzippedNifti(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            var header = new byte[348];
            return gz.ReadAtLeast(header, 348, throwOnEndOfStream: false) == 348 && IsNiftiHeader(header);
        }
        catch (InvalidDataException) { return false; }
    }

    private static bool IsSafeTensors(ReadOnlySpan<byte> h, long fileLength)
    {
        if (h.Length < 10) return false;
        ulong headerLength = BitConverter.ToUInt64(h);
        return headerLength >= 2 && headerLength <= (ulong)(fileLength - 8) && h[8] == (byte)'{';
    }

    /// <summary>Protobuf has no magic number: an ONNX model is a file whose outline (its weights skipped) reads as one with a graph.</summary>
    private static bool IsOnnx(string path)
    {
        try
        {
            var model = ModelOutline.Read(path);
            return model.Graph is not null && model.IrVersion > 0;
        }
        catch (InvalidDataException) { return false; }
    }

    private static bool LooksLikeNotebook(string path)
    {
        try
        {
            // A notebook is small; a large JSON file is not parsed whole just to tell.
            using var s = File.OpenRead(path);
            if (s.Length > MaxNotebookBytes) return false;
            using var doc = JsonDocument.Parse(s);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("cells", out _) && doc.RootElement.TryGetProperty("nbformat", out _);
        }
        catch (JsonException) { return false; }
    }

    /// <summary>The 4 KB head may end inside a multi-byte character; drop that partial character before validating.</summary>
    private static ReadOnlySpan<byte> TrimPartialCharacter(ReadOnlySpan<byte> h)
    {
        int cut = h.Length;
        for (int i = 1; i <= 3 && i <= h.Length; i++)
            if ((h[^i] & 0xC0) == 0xC0) { cut = h.Length - i; break; }
            else if ((h[^i] & 0x80) == 0) break;
        return h[..cut];
    }
}
