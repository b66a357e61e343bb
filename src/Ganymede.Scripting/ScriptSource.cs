using System.Text;
using System.Text.Json;

namespace Ganymede.Scripting;

/// <summary>
/// The C# code of a script (.csx) or notebook (.ipynb): a notebook's code cells in order, each announced with a
/// #line directive so that errors name the cell and its line. Notebook magics (%, !, #!) have no C# meaning and
/// become blank lines. A notebook's code is cut after its cell tagged "parameters", where papermill puts a run's values.
/// </summary>
public static class ScriptSource
{
    /// <summary>The code before the run's values (through the cell tagged "parameters"; empty when there is none) and after them.</summary>
    public sealed record Code(string Name, bool IsNotebook, string Head, string Body)
    {
        public string All => Head + Body;
    }

    public static Code Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such script", path);
        var text = File.ReadAllText(path);
        return IsNotebook(path, text) ? FromNotebook(text, path) : new Code(Path.GetFileName(path), false, "", text);
    }

    private static bool IsNotebook(string path, string text) =>
        path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) || (text.TrimStart().StartsWith('{') && text.Contains("\"cells\"", StringComparison.Ordinal));

    public static Code FromNotebook(string json, string name)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{name}: not a valid notebook ({e.Message})"); }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{name}: not a notebook (no cells)");
            var code = new StringBuilder();
            string head = "";
            int index = 0;
            foreach (var cell in cells.EnumerateArray())
            {
                index++;
                if (cell.GetProperty("cell_type").GetString() != "code") continue;
                var source = cell.GetProperty("source") is { ValueKind: JsonValueKind.Array } lines
                    ? string.Concat(lines.EnumerateArray().Select(l => l.GetString()))
                    : cell.GetProperty("source").GetString() ?? "";
                code.Append("#line 1 \"").Append(Path.GetFileName(name)).Append(" cell ").Append(index).Append("\"\n");
                foreach (var line in source.Split('\n'))
                {
                    var trimmed = line.TrimStart();
                    code.Append(trimmed.StartsWith('%') || trimmed.StartsWith('!') || trimmed.StartsWith("#!", StringComparison.Ordinal) ? "" : line).Append('\n');
                }
                if (head.Length == 0 && IsTaggedParameters(cell))
                {
                    head = code.ToString();
                    code.Clear();
                }
            }
            return new Code(Path.GetFileName(name), true, head, code.ToString());
        }
    }

    private static bool IsTaggedParameters(JsonElement cell) =>
        cell.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
        && metadata.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
        && tags.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.GetString() == "parameters");
}
