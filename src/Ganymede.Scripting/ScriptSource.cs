using System.Text;
using System.Text.Json;

namespace Ganymede.Scripting;

/// <summary>
/// The C# code of a script (.csx) or notebook (.ipynb): a notebook's code cells in order, each announced with a
/// #line directive so that errors name the cell and its line. Notebook magics (%, !, #!) have no C# meaning and
/// become blank lines.
/// </summary>
public static class ScriptSource
{
    public static string Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such script", path);
        var text = File.ReadAllText(path);
        return IsNotebook(path, text) ? FromNotebook(text, path) : text;
    }

    private static bool IsNotebook(string path, string text) =>
        path.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase) || (text.TrimStart().StartsWith('{') && text.Contains("\"cells\"", StringComparison.Ordinal));

    public static string FromNotebook(string json, string name)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{name}: not a valid notebook ({e.Message})"); }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{name}: not a notebook (no cells)");
            var code = new StringBuilder();
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
            }
            return code.ToString();
        }
    }
}
