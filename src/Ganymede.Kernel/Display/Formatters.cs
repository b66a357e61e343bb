using System.Collections;
using System.Globalization;
using System.Net;
using System.Text;
using Ganymede.Formats.Png;

namespace Ganymede.Kernel.Display;

/// <summary>
/// Turns values into MIME bundles. Later registrations win, so a notebook can teach the kernel a new type:
/// Formatters.Register&lt;MyType&gt;(x => new MimeBundle().Add("text/html", ...)).
/// </summary>
public static class Formatters
{
    private static readonly List<(Type Type, Func<object, MimeBundle> Format)> Registered = [];
    private const int MaxTableRows = 50;

    static Formatters()
    {
        // General types first: a later registration wins (a string is also a sequence, of characters).
        Register<IEnumerable>(Sequence);
        Register<IDictionary>(Dictionary);
        Register<Tensor>(Tensor);
        Register<PngImage>(Png);
        Register<Chart>(c => new MimeBundle().Add("image/svg+xml", c.Svg).Add("image/png", Convert.ToBase64String(c.Png)).Add("text/plain", c.Description));
        Register<Html>(h => new MimeBundle().Add("text/html", h.Markup).Add("text/plain", "HTML"));
        Register<string>(s => new MimeBundle().Add("text/plain", s));
    }

    public static void Register<T>(Func<T, MimeBundle> format) where T : notnull
    {
        lock (Registered) Registered.Add((typeof(T), o => format((T)o)));
    }

    public static MimeBundle Format(object? value)
    {
        if (value is null) return new MimeBundle().Add("text/plain", "null");
        Func<object, MimeBundle>? format;
        lock (Registered) format = Registered.LastOrDefault(r => r.Type.IsInstanceOfType(value)).Format;
        var bundle = format?.Invoke(value) ?? new MimeBundle();
        if (!bundle.Data.ContainsKey("text/plain")) bundle.Add("text/plain", Plain(value));
        return bundle;
    }

    private static string Plain(object value) => value switch
    {
        float f => f.ToString("G7", CultureInfo.InvariantCulture),
        double d => d.ToString("G10", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? value.GetType().Name,
    };

    private static MimeBundle Png(PngImage image)
    {
        return new MimeBundle().Add("image/png", Convert.ToBase64String(image.Encode())).Add("text/plain", $"PNG image {image.Width} x {image.Height}");
    }

    /// <summary>An image-sized tensor ([H, W] or [C, H, W] with 1 or 3 channels, sides of 16 or more) is drawn, min to max; others print their values.</summary>
    private static MimeBundle Tensor(Tensor t)
    {
        var summary = $"tensor [{string.Join(", ", t.shape)}] {t.dtype}";
        bool image = t.numel() > 0 && t.size(-1) >= 16 && t.size(-2) >= 16 && (t.dim() == 2 || (t.dim() == 3 && t.size(0) is 1 or 3));
        if (image)
        {
            var f = t.detach().@float();
            float min = f.min().item(), max = f.max().item();
            var scaled = f.sub(min).mul(255f / Math.Max(max - min, 1e-12f));
            return Png(PngImage.FromTensor(scaled)).Add("text/plain", $"{summary}, min {min:G4} max {max:G4}");
        }
        if (t.numel() > 1000) return new MimeBundle().Add("text/plain", summary);
        var values = t.detach().@float().contiguous().ToArray();
        if (t.dim() == 2)
        {
            var table = Table(Enumerable.Range(0, t.size(0)).Select(r => values.Skip(r * t.size(1)).Take(t.size(1)).Select(v => (object)v).ToArray()), null);
            return table.Add("text/plain", summary + "\n" + table.Data["text/plain"]);
        }
        return new MimeBundle().Add("text/plain", summary + "\n[" + string.Join(", ", values.Select(v => v.ToString("G5", CultureInfo.InvariantCulture))) + "]");
    }

    private static MimeBundle Dictionary(IDictionary d) =>
        Table(d.Keys.Cast<object>().Select(k => new[] { k, d[k] }), ["key", "value"]);

    /// <summary>A sequence as a table: records and objects by their properties, numbers and strings one per row.</summary>
    private static MimeBundle Sequence(IEnumerable items)
    {
        var list = items.Cast<object?>().Take(MaxTableRows + 1).ToList();
        var first = list.FirstOrDefault(i => i is not null);
        if (first is null || first is string || first.GetType().IsPrimitive || first is decimal)
            return Table(list.Take(MaxTableRows).Select((v, i) => new object?[] { i, v }), ["", "value"], list.Count > MaxTableRows);
        var properties = first.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0).ToArray();
        return Table(list.Take(MaxTableRows).Select(i => properties.Select(p => i is null ? null : p.GetValue(i)).ToArray()), properties.Select(p => p.Name).ToArray(), list.Count > MaxTableRows);
    }

    public static MimeBundle Table(IEnumerable<object?[]> rows, string[]? header, bool truncated = false)
    {
        var html = new StringBuilder("<table>");
        var text = new StringBuilder();
        if (header is not null)
        {
            html.Append("<thead><tr>").AppendJoin("", header.Select(h => $"<th>{WebUtility.HtmlEncode(h)}</th>")).Append("</tr></thead>");
            text.AppendJoin('\t', header).Append('\n');
        }
        html.Append("<tbody>");
        foreach (var row in rows)
        {
            var cells = row.Select(c => c is null ? "" : Plain(c)).ToArray();
            html.Append("<tr>").AppendJoin("", cells.Select(c => $"<td>{WebUtility.HtmlEncode(c)}</td>")).Append("</tr>");
            text.AppendJoin('\t', cells).Append('\n');
        }
        html.Append("</tbody></table>");
        if (truncated)
        {
            html.Append($"<p>(first {MaxTableRows} rows)</p>");
            text.Append($"(first {MaxTableRows} rows)\n");
        }
        return new MimeBundle().Add("text/html", html.ToString()).Add("text/plain", text.ToString().TrimEnd('\n'));
    }
}
