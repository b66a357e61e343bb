using System.Text.Json;

namespace Ganymede.Server.Services.Previews;

/// <summary>One output of a notebook cell: text (streams, plain results, errors) or a PNG image (base64, as stored).</summary>
public sealed record NotebookOutput(string? Text, string? PngBase64, bool IsError);

public sealed record NotebookCell(string Kind, string Source, int? ExecutionCount, IReadOnlyList<NotebookOutput> Outputs);

/// <summary>
/// A Jupyter notebook (nbformat 4) read for showing, never run: its cells' sources and the outputs saved with them.
/// Only text and PNG outputs are shown (HTML and scripts in outputs are not: a notebook is untrusted).
/// </summary>
public static class NotebookPreview
{
    private const long MaxBytes = 64L << 20;
    private const int MaxTextChars = 20_000;

    public static (string Language, IReadOnlyList<NotebookCell> Cells) Read(string path)
    {
        if (new FileInfo(path).Length > MaxBytes) throw new InvalidDataException("the notebook is too large to show (over 64 MiB)");
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException("not a Jupyter notebook (no cells)");
        string language = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty("kernelspec", out var k)
            && k.ValueKind == JsonValueKind.Object && k.TryGetProperty("language", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString()! : "";
        var list = new List<NotebookCell>();
        foreach (var cell in cells.EnumerateArray())
        {
            if (cell.ValueKind != JsonValueKind.Object) continue;
            var kind = Text(cell, "cell_type") ?? "code";
            int? count = cell.TryGetProperty("execution_count", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null;
            var outputs = new List<NotebookOutput>();
            if (cell.TryGetProperty("outputs", out var outs) && outs.ValueKind == JsonValueKind.Array)
                foreach (var o in outs.EnumerateArray().Where(o => o.ValueKind == JsonValueKind.Object))
                    if (Output(o) is { } output) outputs.Add(output);
            list.Add(new NotebookCell(kind, Cut(Text(cell, "source") ?? ""), count, outputs));
        }
        return (language, list);
    }

    private static NotebookOutput? Output(JsonElement o)
    {
        switch (Text(o, "output_type"))
        {
            case "stream": return new NotebookOutput(Cut(Text(o, "text") ?? ""), null, Text(o, "name") == "stderr");
            case "error": return new NotebookOutput(Cut($"{Text(o, "ename")}: {Text(o, "evalue")}"), null, true);
            case "execute_result" or "display_data" when o.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object:
                if (Text(data, "image/png") is { } png && IsBase64(png)) return new NotebookOutput(null, png.Replace("\n", "", StringComparison.Ordinal), false);
                return Text(data, "text/plain") is { } plain ? new NotebookOutput(Cut(plain), null, false) : null;
            default: return null;
        }
    }

    /// <summary>A string field, or a list of strings joined (nbformat stores multi-line text either way).</summary>
    private static string? Text(JsonElement e, string name) => !e.TryGetProperty(name, out var v) ? null : v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Array => string.Concat(v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString())),
        _ => null,
    };

    private static bool IsBase64(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=' or '\n');

    private static string Cut(string s) => s.Length > MaxTextChars ? s[..MaxTextChars] + "\n… (cut)" : s;
}
