using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;

namespace Ganymede.Server.Web;

/// <summary>One line of a chart: its label and its points.</summary>
public sealed record ChartSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// A line chart drawn on the server as inline SVG (no script: it refreshes with the fragment around it): axes with
/// a few round ticks, one coloured line per series with its points, a legend. Colours come from the stylesheet
/// (--series-N), so both themes keep their contrast.
/// </summary>
public static class LineChart
{
    private const int Width = 640, Height = 280, Left = 56, Right = 16, Top = 16, Bottom = 40;

    public static IHtmlContent Svg(string title, string xLabel, IReadOnlyList<ChartSeries> series)
    {
        var points = series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        if (points.Count == 0) return new HtmlString($"<p>{Encode(title)}: no figures yet.</p>");
        var (x0, x1) = Range(points.Select(p => p.First));
        var (y0, y1) = Range(points.Select(p => p.Second));
        double X(double v) => Left + (v - x0) / (x1 - x0) * (Width - Left - Right);
        double Y(double v) => Height - Bottom - (v - y0) / (y1 - y0) * (Height - Top - Bottom);
        var svg = new StringBuilder();
        svg.Append($"<figure class=\"chart\"><svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Encode(title)}\"><title>{Encode(title)}</title>");
        foreach (var t in Ticks(y0, y1))
            svg.Append($"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(t))}\" y2=\"{F(Y(t))}\"/><text class=\"tick\" x=\"{Left - 6}\" y=\"{F(Y(t) + 4)}\" text-anchor=\"end\">{Label(t)}</text>");
        foreach (var t in Ticks(x0, x1))
            svg.Append($"<text class=\"tick\" x=\"{F(X(t))}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{Label(t)}</text>");
        svg.Append($"<line class=\"axis\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Height - Bottom}\" y2=\"{Height - Bottom}\"/>");
        svg.Append($"<text class=\"tick\" x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 6}\" text-anchor=\"middle\">{Encode(xLabel)}</text>");
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var line = string.Join(" ", s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).Select(p => $"{F(X(p.First))},{F(Y(p.Second))}"));
            if (line.Length == 0) continue;
            svg.Append($"<polyline class=\"series series-{i % 8}\" points=\"{line}\"/>");
            foreach (var p in line.Split(' ')) svg.Append($"<circle class=\"series series-{i % 8}\" r=\"2.5\" cx=\"{p.Split(',')[0]}\" cy=\"{p.Split(',')[1]}\"/>");
        }
        svg.Append("</svg><figcaption><span class=\"chart-title\">").Append(Encode(title)).Append("</span><ul class=\"legend\">");
        for (int i = 0; i < series.Count; i++) svg.Append($"<li><span class=\"swatch series-{i % 8}\" aria-hidden=\"true\"></span>{Encode(series[i].Label)}</li>");
        svg.Append("</ul></figcaption></figure>");
        return new HtmlString(svg.ToString());
    }

    private static (double Low, double High) Range(IEnumerable<double> values)
    {
        double low = values.Min(), high = values.Max();
        if (high - low < 1e-12) (low, high) = (low - 0.5, high + 0.5);
        double pad = (high - low) * 0.05;
        return (low - (low == 0 ? 0 : pad), high + pad);
    }

    /// <summary>About five round values between low and high (steps of 1, 2 or 5 times a power of ten).</summary>
    private static IEnumerable<double> Ticks(double low, double high)
    {
        double raw = (high - low) / 5, power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 5, 10 }.Select(m => m * power).First(s => s >= raw);
        for (double t = Math.Ceiling(low / step) * step; t <= high + step * 1e-9; t += step) yield return Math.Round(t / step) * step;
    }

    private static string Label(double v) => Math.Abs(v) < 1e-12 ? "0" : Math.Abs(v) >= 1000 || (v != 0 && Math.Abs(v) < 0.01) ? v.ToString("G3", CultureInfo.InvariantCulture) : Math.Round(v, 3).ToString(CultureInfo.InvariantCulture);
    private static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
    private static string Encode(string s) => WebUtility.HtmlEncode(s);
}
