using System.Globalization;
using System.Text.Json;

namespace Ganymede.Server.Services.Previews;

/// <summary>
/// A training run's figures per epoch, from metrics.csv (a header with an epoch column) or metrics.jsonl (one object
/// per line with "epoch"): each numeric column as a series over the epochs. A file being written (a training job's
/// metrics while it runs) may end in half a line, which is left out.
/// </summary>
public sealed record TrainingMetrics(IReadOnlyList<double> Epochs, IReadOnlyDictionary<string, double[]> Series)
{
    public static readonly string[] Losses = ["train_loss", "valid_loss"];
    public static readonly string[] Scores = ["dice", "pooled_dice", "precision", "recall"];
    private const long MaxBytes = 16 << 20;

    public bool IsEmpty => Epochs.Count == 0;

    /// <summary>A dataset's metrics, or null when the file is not metrics (no epoch column, too large, unreadable).</summary>
    public static TrainingMetrics? Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Read(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The metrics in a stream (a running job's file, opened as untrusted), or null when it is not metrics.</summary>
    public static TrainingMetrics? Read(Stream stream)
    {
        try
        {
            if (stream.Length > MaxBytes) return null;
            var text = new StreamReader(stream, System.Text.Encoding.UTF8).ReadToEnd();
            // A line without its newline may still be being written.
            int end = text.LastIndexOf('\n');
            var lines = (end < 0 ? "" : text[..end]).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return lines.Length > 0 && lines[0].StartsWith('{') ? FromJsonLines(lines) : FromCsv(lines);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    private static TrainingMetrics? FromCsv(string[] lines)
    {
        if (lines.Length == 0) return null;
        var header = lines[0].Split(',');
        int epochColumn = Array.IndexOf(header, "epoch");
        if (epochColumn < 0) return null;
        var rows = lines.Skip(1).Select(l => l.Split(',')).Where(r => r.Length == header.Length && Number(r[epochColumn]) is not null).ToList();
        var series = new Dictionary<string, double[]>();
        for (int c = 0; c < header.Length; c++)
            if (c != epochColumn && rows.All(r => Number(r[c]) is not null))
                series[header[c]] = rows.Select(r => Number(r[c])!.Value).ToArray();
        return new TrainingMetrics(rows.Select(r => Number(r[epochColumn])!.Value).ToList(), series);
    }

    private static TrainingMetrics? FromJsonLines(string[] lines)
    {
        var epochs = new List<double>();
        var values = new Dictionary<string, List<double>>();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("epoch", out var epoch) || epoch.ValueKind != JsonValueKind.Number) continue;
            epochs.Add(epoch.GetDouble());
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Name != "epoch" && p.Value.ValueKind == JsonValueKind.Number)
                {
                    var list = values.TryGetValue(p.Name, out var l) ? l : values[p.Name] = [];
                    list.Add(p.Value.GetDouble());
                }
        }
        if (epochs.Count == 0) return null;
        return new TrainingMetrics(epochs, values.Where(v => v.Value.Count == epochs.Count).ToDictionary(v => v.Key, v => v.Value.ToArray()));
    }

    private static double? Number(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    /// <summary>The best value of a series (highest for scores, lowest for losses) and the last.</summary>
    public (double Best, double Last)? Summary(string name) => Series.TryGetValue(name, out var s) && s.Length > 0
        ? (Losses.Contains(name) || name.EndsWith("loss", StringComparison.Ordinal) ? s.Min() : s.Max(), s[^1]) : null;
}
