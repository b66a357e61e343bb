namespace Ganymede.Server;

/// <summary>An error answered as Galaxy does: the HTTP status and a body {"err_msg": ..., "err_code": ...}.</summary>
public sealed class ApiException(int status, int code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public int Code { get; } = code;
    /// <summary>For a tool run refused for its inputs: each input at fault, by name, and what is wrong with it (the forms show these by their fields).</summary>
    public IReadOnlyDictionary<string, string> Fields { get; private init; } = new Dictionary<string, string>();

    public static ApiException BadRequest(string message) => new(400, 400008, message);
    public static ApiException MissingParameter(string message) => new(400, 400007, message);
    /// <summary>One tool input is wrong: <paramref name="message"/> says what, in the user's words.</summary>
    public static ApiException InvalidInput(string input, string message) => InvalidInputs(new Dictionary<string, string> { [input] = message });
    public static ApiException InvalidInputs(IReadOnlyDictionary<string, string> fields) => new(400, 400008, string.Join("; ", fields.Values)) { Fields = fields };
    public static ApiException MalformedId(string what, string? id) => new(400, 400005, $"invalid {what} id '{id}'");
    public static ApiException NotFound(string message) => new(404, 404001, message);
    public static ApiException Forbidden(string message) => new(403, 403002, message);
    /// <summary>Over a storage or jobs quota: refused, as Galaxy refuses a user over quota, with the amounts in the message.</summary>
    public static ApiException OverQuota(string message) => new(403, 403007, message);
}
