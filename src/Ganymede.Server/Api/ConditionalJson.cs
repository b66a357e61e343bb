using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ganymede.Server.Api;

/// <summary>
/// A JSON answer with an ETag (a hash of its bytes): a client that sends it back in If-None-Match gets 304 and no body
/// while nothing changed, as a page or script polling a history's contents does.
/// </summary>
public static class ConditionalJson
{
    public static IResult Of(HttpContext c, object value) => Of(c, Serialize(c, value));

    /// <summary>The answer's bytes and their ETag, to send now and again while the value stays the same.</summary>
    public static (byte[] Body, string ETag) Serialize(HttpContext c, object value)
    {
        var options = c.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var body = JsonSerializer.SerializeToUtf8Bytes(value, options);
        return (body, $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\"");
    }

    public static IResult Of(HttpContext c, (byte[] Body, string ETag) answer)
    {
        var (body, etag) = answer;
        c.Response.Headers.ETag = etag;
        bool unchanged = c.Request.Headers.IfNoneMatch.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries)).Any(v => v == etag || v == "*");
        return unchanged ? Results.StatusCode(StatusCodes.Status304NotModified) : Results.Bytes(body, "application/json; charset=utf-8");
    }
}
