using System.Text.Json.Nodes;

namespace Ganymede.Kernel.Display;

/// <summary>A value as Jupyter shows it: data by MIME type (text as strings, images as base64), always with text/plain.</summary>
public sealed class MimeBundle
{
    public Dictionary<string, string> Data { get; } = new();
    public JsonObject Metadata { get; } = [];

    public MimeBundle Add(string mime, string value)
    {
        Data[mime] = value;
        return this;
    }

    public JsonObject DataJson() => new(Data.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value))));
}

/// <summary>HTML to show as it is (Display(new Html("&lt;b&gt;hi&lt;/b&gt;"))).</summary>
public sealed record Html(string Markup);

/// <summary>A chart as SVG (sharp in a live notebook) and as PNG (shown where SVG is not, as in an untrusted notebook).</summary>
public sealed record Chart(string Svg, byte[] Png, string Description);
