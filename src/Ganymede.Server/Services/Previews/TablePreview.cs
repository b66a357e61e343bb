using System.Globalization;
using System.Text;

namespace Ganymede.Server.Services.Previews;

/// <summary>
/// The first rows of a CSV or tab-separated dataset, for a sortable table: a header (the first row when it is not
/// all numbers), rows as text, and which columns are numeric. Quoted CSV fields (commas, doubled quotes) are read as
/// RFC 4180 says; a row longer than the header is cut to it.
/// </summary>
public sealed record TablePreview(IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows, IReadOnlyList<bool> Numeric, bool Cut)
{
    public const int MaxRows = 1_000;
    private const int MaxColumns = 100;

    public static TablePreview Read(string path, char separator)
    {
        var rows = new List<string[]>();
        bool cut = false;
        using (var reader = new StreamReader(path, Encoding.UTF8))
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (line.Length == 0) continue;
                if (rows.Count > MaxRows) { cut = true; break; }
                rows.Add(Split(line, separator).Take(MaxColumns).ToArray());
            }
        }
        if (rows.Count == 0) return new([], [], [], false);
        bool header = rows[0].Any(f => !IsNumber(f));
        var columns = header ? rows[0] : Enumerable.Range(1, rows[0].Length).Select(i => $"column {i}").ToArray();
        var body = (header ? rows.Skip(1) : rows).Take(MaxRows).Select(r => Enumerable.Range(0, columns.Length).Select(i => i < r.Length ? r[i] : "").ToArray()).ToList();
        var numeric = Enumerable.Range(0, columns.Length).Select(i => body.Count > 0 && body.All(r => r[i].Length == 0 || IsNumber(r[i]))).ToList();
        return new(columns, body, numeric, cut || rows.Count - (header ? 1 : 0) > MaxRows);
    }

    public static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static IEnumerable<string> Split(string line, char separator)
    {
        if (separator == '\t' || !line.Contains('"', StringComparison.Ordinal)) { foreach (var f in line.Split(separator)) yield return f; yield break; }
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == separator && !quoted) { yield return field.ToString(); field.Clear(); }
            else field.Append(c);
        }
        yield return field.ToString();
    }
}
