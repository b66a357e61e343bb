using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ganymede.Server.Api;

/// <summary>
/// A JSON answer with an ETag (a hash of its bytes): a client that sends it back in If-None-Match gets 304 and no body
/// while nothing changed, as a page or script polling a history's contents does. A client that accepts gzip (BioBlend
/// through requests, every browser) gets the answer compressed, about a tenth of its size.
/// </summary>
public static class ConditionalJson
{
    // Below a packet's worth, compressing saves nothing on the wire and still costs the CPU.
    private const int MinCompressedBytes = 1400;

    public static IResult Of(HttpContext c, object value) => Of(c, Serialize(c, value));

    /// <summary>The answer's bytes and their ETag, to send now and again while the value stays the same.</summary>
    public static JsonAnswer Serialize(HttpContext c, object value)
    {
        var options = c.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var body = JsonSerializer.SerializeToUtf8Bytes(value, options);
        return new JsonAnswer(body, $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\"");
    }

    public static IResult Of(HttpContext c, JsonAnswer answer)
    {
        bool gzip = answer.Body.Length >= MinCompressedBytes && AcceptsGzip(c.Request);
        c.Response.Headers.ETag = gzip ? answer.GzipETag : answer.ETag;
        c.Response.Headers.Vary = "Accept-Encoding";
        bool unchanged = c.Request.Headers.IfNoneMatch.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries))
            .Any(v => v == answer.ETag || v == answer.GzipETag || v == "*");
        if (unchanged) return Results.StatusCode(StatusCodes.Status304NotModified);
        if (!gzip) return Results.Bytes(answer.Body, "application/json; charset=utf-8");
        c.Response.Headers.ContentEncoding = "gzip";
        return Results.Bytes(answer.Gzipped, "application/json; charset=utf-8");
    }

    private static bool AcceptsGzip(HttpRequest r) =>
        r.GetTypedHeaders().AcceptEncoding.Any(e => (e.Value == "gzip" || e.Value == "*") && (e.Quality ?? 1) > 0);
}

/// <summary>A serialised JSON answer, its ETag, and its gzip form made once when a client first asks for it.</summary>
public sealed class JsonAnswer(byte[] body, string etag)
{
    private byte[]? _gzipped;

    public byte[] Body => body;
    public string ETag => etag;

    /// <summary>The gzip form's ETag: each encoding is its own representation with its own strong ETag, and either one
    /// names the same unchanged value.</summary>
    public string GzipETag { get; } = etag[..^1] + "-gzip\"";

    // Two requests racing to make it both make the same bytes; either may be kept.
    public byte[] Gzipped => _gzipped ??= Compress(body);

    private static byte[] Compress(byte[] bytes)
    {
        using var packed = new MemoryStream(bytes.Length / 8);
        using (var gzip = new GZipStream(packed, CompressionLevel.Optimal)) gzip.Write(bytes);
        return packed.ToArray();
    }
}
