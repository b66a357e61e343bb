using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ganymede.Kernel.Protocol;

/// <summary>One Jupyter message (protocol 5.3): routing identities, the four JSON parts, and binary buffers.</summary>
public sealed record JupyterMessage(IReadOnlyList<byte[]> Identities, JsonObject Header, JsonObject ParentHeader, JsonObject Metadata, JsonObject Content)
{
    /// <summary>The message type, or "" when the header has none (or not as text): such a message is answered as unknown.</summary>
    public string Type => Text(Header, "msg_type");
    public string Id => Text(Header, "msg_id");

    private static string Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}

/// <summary>
/// Frames and signs messages: [identities..] "&lt;IDS|MSG&gt;" hmac header parent metadata content [buffers..],
/// the HMAC-SHA256 over the four JSON frames exactly as sent. Messages with a wrong signature are refused.
/// </summary>
public sealed class MessageCodec(byte[] key, string session)
{
    private static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();

    public string Session { get; } = session;

    /// <summary>A new message of <paramref name="type"/> answering (or caused by) <paramref name="parent"/>.</summary>
    public JupyterMessage Create(string type, JsonObject content, JupyterMessage? parent, IReadOnlyList<byte[]>? identities = null) =>
        new(identities ?? parent?.Identities ?? [], Header(type), parent is null ? [] : (JsonObject)parent.Header.DeepClone(), [], content);

    private JsonObject Header(string type) => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString(), ["session"] = Session, ["username"] = "ganymede",
        ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture),
        ["msg_type"] = type, ["version"] = "5.3",
    };

    public List<byte[]> Encode(JupyterMessage message)
    {
        var parts = new[] { message.Header, message.ParentHeader, message.Metadata, message.Content }.Select(p => Encoding.UTF8.GetBytes(p.ToJsonString())).ToArray();
        var frames = new List<byte[]>(message.Identities) { Delimiter, Encoding.ASCII.GetBytes(Sign(parts)) };
        frames.AddRange(parts);
        return frames;
    }

    /// <summary>Parses a received message; null (to be dropped and logged) when it is malformed or wrongly signed.</summary>
    public JupyterMessage? Decode(IReadOnlyList<byte[]> frames, out string? problem)
    {
        problem = null;
        int delimiter = -1;
        for (int i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { delimiter = i; break; }
        if (delimiter < 0 || frames.Count < delimiter + 6)
        {
            problem = "not a Jupyter message (no <IDS|MSG> delimiter, or fewer than five frames after it)";
            return null;
        }
        var parts = frames.Skip(delimiter + 2).Take(4).ToArray();
        if (key.Length > 0)
        {
            var expected = Encoding.ASCII.GetBytes(Sign(parts));
            if (!CryptographicOperations.FixedTimeEquals(expected, frames[delimiter + 1]))
            {
                problem = "bad signature";
                return null;
            }
        }
        // JSON parsing checks strings' UTF-8 only when they are read: checked here, before.
        if (!parts.All(p => System.Text.Unicode.Utf8.IsValid(p)))
        {
            problem = "a header, metadata or content frame is not UTF-8 text";
            return null;
        }
        try
        {
            var json = parts.Select(p => JsonNode.Parse(p, documentOptions: new() { AllowDuplicateProperties = false }) as JsonObject ?? throw new JsonException("not an object")).ToArray();
            return new JupyterMessage(frames.Take(delimiter).ToList(), json[0], json[1], json[2], json[3]);
        }
        catch (JsonException e)
        {
            problem = "malformed JSON: " + e.Message;
            return null;
        }
    }

    private string Sign(IEnumerable<byte[]> parts)
    {
        if (key.Length == 0) return "";
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        foreach (var p in parts) hmac.AppendData(p);
        return Convert.ToHexStringLower(hmac.GetHashAndReset());
    }
}

/// <summary>The connection file Jupyter writes for a kernel it starts.</summary>
public sealed record ConnectionInfo(string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HbPort, string Key, string SignatureScheme)
{
    public static ConnectionInfo Load(string path)
    {
        var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
        int Port(string name) => o[name]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: {name} is missing");
        var scheme = o["signature_scheme"]?.GetValue<string>() ?? "hmac-sha256";
        if (scheme != "hmac-sha256") throw new InvalidDataException($"{path}: signature scheme {scheme} is not supported (hmac-sha256 is)");
        return new ConnectionInfo(o["transport"]?.GetValue<string>() ?? "tcp", o["ip"]?.GetValue<string>() ?? "127.0.0.1",
            Port("shell_port"), Port("iopub_port"), Port("stdin_port"), Port("control_port"), Port("hb_port"), o["key"]?.GetValue<string>() ?? "", scheme);
    }

    public string Endpoint(int port) => Transport == "ipc" ? $"ipc://{Ip}-{port}" : $"{Transport}://{Ip}:{port}";
}
