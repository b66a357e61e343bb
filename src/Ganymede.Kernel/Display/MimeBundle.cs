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

/// <summary>An SVG drawing (what <see cref="Plot"/> makes).</summary>
public sealed record Svg(string Markup, string Description);
