using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Galaxy's history archive (export version 2): a tar file, gzipped or not, holding history_attrs.txt,
/// datasets_attrs.txt, jobs_attrs.txt, collections_attrs.txt and export_attrs.txt (JSON) and each dataset's file
/// under datasets/. Reading treats the archive as hostile: nothing is extracted by the names inside it, every
/// file and the whole are bounded, links and odd entries are skipped.
/// </summary>
public static class GalaxyArchive
{
    public const string HistoryAttributes = "history_attrs.txt", DatasetAttributes = "datasets_attrs.txt", JobAttributes = "jobs_attrs.txt",
        CollectionAttributes = "collections_attrs.txt", ExportAttributes = "export_attrs.txt";
    private const int MaxAttributesBytes = 16 << 20;
    private const int MaxEntries = 100_000;

    /// <summary>Writes the archive: the attribute files, then each dataset's file by its name in <paramref name="files"/> (archive name to path on disk).</summary>
    public static void Write(Stream output, bool gzip, IReadOnlyDictionary<string, JsonNode> attributes, IReadOnlyDictionary<string, string> files)
    {
        using var compressed = gzip ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : null;
        using (var tar = new TarWriter(compressed ?? output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, json) in attributes)
            {
                var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes), ModificationTime = DateTimeOffset.UtcNow });
            }
            foreach (var (name, path) in files) tar.WriteEntry(path, name);
        }
    }

    /// <summary>What was read: the attribute files parsed, and each file under datasets/ in a temporary file of its own (the caller removes them).</summary>
    public sealed record Contents(IReadOnlyDictionary<string, JsonNode?> Attributes, IReadOnlyDictionary<string, string> Files);

    /// <summary>
    /// Reads an archive (gzip is recognised by its magic number). Throws <see cref="ApiException"/> for anything that is
    /// not a readable Galaxy archive within <paramref name="maxBytes"/>, leaving no temporary file behind.
    /// </summary>
    public static Contents Read(string archive, FileStore store, long maxBytes)
    {
        var attributes = new Dictionary<string, JsonNode?>();
        var files = new Dictionary<string, string>();
        try
        {
            using var raw = File.OpenRead(archive);
            Span<byte> magic = stackalloc byte[2];
            bool gzip = raw.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            raw.Position = 0;
            using var data = gzip ? new GZipStream(raw, CompressionMode.Decompress) : (Stream)raw;
            using var tar = new TarReader(data);
            long total = 0;
            int count = 0;
            while (tar.GetNextEntry(copyData: false) is { } entry)
            {
                if (++count > MaxEntries) throw ApiException.BadRequest($"the archive holds more than {MaxEntries:N0} entries");
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                total += entry.Length;
                if (total > maxBytes) throw new ApiException(413, 413001, $"the archive unpacks to more than the server's limit of {maxBytes:N0} bytes");
                if (name is HistoryAttributes or DatasetAttributes or JobAttributes or CollectionAttributes or ExportAttributes)
                    attributes[name] = ReadJson(entry, name);
                else if (name.StartsWith("datasets/", StringComparison.Ordinal) && !files.ContainsKey(name))
                    files[name] = Copy(entry.DataStream, store);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or IOException && !DiskSpace.IsFull(e))
        {
            Delete(files);
            throw ApiException.BadRequest($"not a readable history archive (a tar or tar.gz file as Galaxy exports): {e.Message}");
        }
        catch
        {
            Delete(files);
            throw;
        }
        if (attributes.GetValueOrDefault(HistoryAttributes) is not JsonObject)
        {
            Delete(files);
            throw ApiException.BadRequest($"not a Galaxy history archive: it has no {HistoryAttributes}");
        }
        return new Contents(attributes, files);
    }

    public static void Delete(IReadOnlyDictionary<string, string> files)
    {
        foreach (var path in files.Values) File.Delete(path);
    }

    private static JsonNode? ReadJson(TarEntry entry, string name)
    {
        if (entry.Length > MaxAttributesBytes) throw ApiException.BadRequest($"{name} in the archive is larger than {MaxAttributesBytes:N0} bytes");
        using var buffer = new MemoryStream();
        entry.DataStream!.CopyTo(buffer);
        try { return JsonNode.Parse(buffer.ToArray()); }
        catch (System.Text.Json.JsonException e) { throw ApiException.BadRequest($"{name} in the archive is not JSON: {e.Message}"); }
    }

    private static string Copy(Stream source, FileStore store)
    {
        var path = store.NewTemporaryPath();
        try
        {
            using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            source.CopyTo(target);
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }
}
