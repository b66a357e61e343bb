using System.Text.Json.Nodes;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Ganymede.Server.Api;

/// <summary>A multipart/form-data request (Galaxy's upload1 and tool forms), read section by section with bounded memory.</summary>
public static class MultipartForm
{
    public sealed record UploadedPart(string Path, string Sha256, string FileName);

    /// <summary>
    /// Reads a multipart request section by section: text fields into a JSON object (values that parse as JSON
    /// are decoded, as Galaxy does), file parts streamed to temporary files with constant memory.
    /// </summary>
    public static async Task<(JsonObject Body, Dictionary<string, UploadedPart> Files)> ReadAsync(string? contentType, Stream requestBody, FileStore files, ServerOptions o, CancellationToken cancel)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)) throw ApiException.BadRequest("a multipart request needs a Content-Type with a boundary");
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70) throw ApiException.BadRequest("multipart request without a boundary of 1 to 70 characters");
        var reader = new MultipartReader(boundary, requestBody) { HeadersLengthLimit = 64 << 10 };
        var body = new JsonObject();
        var received = new Dictionary<string, UploadedPart>();
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(cancel)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data"))
                    throw ApiException.BadRequest("multipart section without a form-data Content-Disposition");
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (received.ContainsKey(name)) throw ApiException.BadRequest($"file field '{name}' appears twice");
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "upload";
                    var (path, _, sha) = await files.ReceiveAsync(section.Body, o.MaxUploadBytes, cancel);
                    received[name] = new UploadedPart(path, sha, fileName);
                    continue;
                }
                var value = await ReadFieldAsync(section.Body, name, o.MaxJsonBytes, cancel);
                body[name] = name is "inputs" ? value : TryJson(value);
            }
            return (body, received);
        }
        catch (Exception e) when (e is InvalidDataException || (e is IOException && !DiskSpace.IsFull(e)))
        {
            // The reader's own errors (a line or header too long, the body ending inside a section) are the client's.
            DeleteAll(received);
            throw ApiException.BadRequest("the multipart body is malformed or was cut off");
        }
        catch
        {
            DeleteAll(received);
            throw;
        }
    }

    /// <summary>A text field, refused as soon as it grows past <paramref name="maxBytes"/> (never read whole first).</summary>
    private static async Task<string> ReadFieldAsync(Stream field, string name, long maxBytes, CancellationToken cancel)
    {
        using var bytes = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await field.ReadAsync(buffer, cancel)) > 0)
        {
            if (bytes.Length + n > maxBytes) throw new ApiException(413, 413001, $"form field {name} is larger than {maxBytes:N0} bytes");
            bytes.Write(buffer, 0, n);
        }
        return System.Text.Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }

    private static JsonNode? TryJson(string value)
    {
        try { return JsonNode.Parse(value, documentOptions: new() { AllowDuplicateProperties = false }); }
        catch (System.Text.Json.JsonException) { return value; }
    }

    private static void DeleteAll(Dictionary<string, UploadedPart> received)
    {
        foreach (var part in received.Values) File.Delete(part.Path);
    }
}
