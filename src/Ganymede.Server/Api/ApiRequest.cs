using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Http;

namespace Ganymede.Server.Api;

/// <summary>Reading requests the way BioBlend (python-requests) sends them.</summary>
public static class ApiRequest
{
    private const string UserKey = "ganymede.user";

    public static void SetUser(this HttpContext context, UserRecord user) => context.Items[UserKey] = user;

    /// <summary>The user the API key belongs to (the authentication middleware has already checked it).</summary>
    public static UserRecord CurrentUser(this HttpContext context) =>
        context.Items[UserKey] as UserRecord ?? throw new ApiException(403, 403001, "authentication required: send your API key in the x-api-key header");

    /// <summary>The caller, or null on the few reads open to anyone (what is published): the endpoint decides.</summary>
    public static UserRecord? CurrentUserOrNull(this HttpContext context) => context.Items[UserKey] as UserRecord;

    /// <summary>
    /// The body as a JSON object; an empty body is an empty object (BioBlend sends JSON content types on bodiless
    /// requests). Bodies over the limit, of another content type, or not a JSON object get clear errors.
    /// </summary>
    public static async Task<JsonObject> ReadJsonObjectAsync(this HttpRequest request, int maxBytes)
    {
        if (request.ContentLength > maxBytes) throw new ApiException(413, 413001, $"request body of {request.ContentLength:N0} bytes is larger than the limit of {maxBytes:N0}");
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = await request.Body.ReadAsync(chunk)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > maxBytes) throw new ApiException(413, 413001, $"request body larger than the limit of {maxBytes:N0} bytes");
        }
        if (buffer.Length == 0) return [];
        var type = request.ContentType ?? "";
        if (type.Length > 0 && !type.Contains("json", StringComparison.OrdinalIgnoreCase) && !type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(415, 415001, $"expected a JSON body (Content-Type: application/json), got {type}");
        // JSON parsing checks strings' UTF-8 and duplicate names only when they are read: both are checked here, before.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length))) throw ApiException.BadRequest("the request body is not UTF-8 text");
        try
        {
            return JsonNode.Parse(buffer.ToArray(), documentOptions: new() { AllowDuplicateProperties = false }) as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"malformed JSON in the request body: {e.Message}");
        }
    }

    /// <summary>A query boolean: python-requests writes True/False; absent or empty is null.</summary>
    public static bool? QueryBool(this HttpRequest request, string name)
    {
        var value = request.Query[name].LastOrDefault();
        if (string.IsNullOrEmpty(value)) return null;
        return bool.TryParse(value, out var b) ? b : value == "1" ? true : value == "0" ? false : throw ApiException.BadRequest($"query parameter {name}: '{value}' is not true or false");
    }

    public static int QueryInt(this HttpRequest request, string name, int fallback, int max = int.MaxValue)
    {
        var value = request.Query[name].LastOrDefault();
        if (string.IsNullOrEmpty(value)) return fallback;
        return int.TryParse(value, out var n) && n >= 0 ? Math.Min(n, max) : throw ApiException.BadRequest($"query parameter {name}: '{value}' is not a non-negative integer");
    }

    /// <summary>A JSON body value as a boolean, accepting true, "true" and "True".</summary>
    public static bool? Bool(this JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) && bool.TryParse(s, out var b) => b,
        var other => throw ApiException.BadRequest($"{name}: expected true or false, got {other.ToJsonString()}"),
    };

    /// <summary>A JSON body value as a list of strings (tags), or null when absent.</summary>
    public static IReadOnlyList<string>? Strings(this JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonArray a when a.All(v => v is JsonValue e && e.TryGetValue<string>(out _)) => a.Select(v => v!.GetValue<string>()).ToList(),
        var other => throw ApiException.BadRequest($"{name}: expected a list of strings, got {other.ToJsonString()}"),
    };

    public static string? String(this JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        // Multipart fields are decoded as JSON where they parse, so an id of digits arrives as a number.
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        var other => throw ApiException.BadRequest($"{name}: expected a string, got {other.ToJsonString()}"),
    };
}
