using System.Globalization;
using System.Net;
using System.Text;

namespace Ganymede.Kernel.Display;

/// <summary>Line plots (training curves) and bar charts as SVG, small enough to live in a notebook.</summary>
public static class Plot
{
    private const int Width = 480, Height = 280, Left = 50, Right = 110, Top = 20, Bottom = 35;
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

    /// <summary>One line per named series, over x = 1, 2, 3, ... (epochs).</summary>
    public static Svg Line(string title, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        int points = series.Length == 0 ? 0 : series.Max(s => s.Values.Count);
        double min = all.Count == 0 ? 0 : all.Min(), max = all.Count == 0 ? 1 : all.Max();
        if (max - min < 1e-12) (min, max) = (min - 0.5, max + 0.5);
        double X(int i) => Left + (points <= 1 ? 0 : (Width - Left - Right) * i / (double)(points - 1));
        double Y(double v) => Height - Bottom - (Height - Top - Bottom) * (v - min) / (max - min);
        var svg = Frame(title, min, max, $"1 … {points}");
        for (int s = 0; s < series.Length; s++)
        {
            var path = string.Join(" ", series[s].Values.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v)).Select(p => $"{N(X(p.i))},{N(Y(p.v))}"));
            svg.Append($"<polyline fill=\"none\" stroke=\"{Colours[s % Colours.Length]}\" stroke-width=\"2\" points=\"{path}\"/>");
            Legend(svg, s, series[s].Name);
        }
        return new Svg(svg.Append("</svg>").ToString(), $"line plot: {title} ({string.Join(", ", series.Select(s => s.Name))})");
    }

    public static Svg Bar(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values)
    {
        double max = values.Count == 0 ? 1 : Math.Max(values.Max(), 0), min = Math.Min(0, values.Count == 0 ? 0 : values.Min());
        if (max - min < 1e-12) max = min + 1;
        var svg = Frame(title, min, max, "");
        double slot = (Width - Left - Right) / (double)Math.Max(values.Count, 1);
        double Y(double v) => Height - Bottom - (Height - Top - Bottom) * (v - min) / (max - min);
        for (int i = 0; i < values.Count; i++)
        {
            double x = Left + i * slot + slot * 0.15, y = Y(Math.Max(values[i], 0)), zero = Y(0);
            svg.Append($"<rect x=\"{N(x)}\" y=\"{N(Math.Min(y, zero))}\" width=\"{N(slot * 0.7)}\" height=\"{N(Math.Abs(zero - Y(values[i])))}\" fill=\"{Colours[0]}\"/>");
            svg.Append($"<text x=\"{N(x + slot * 0.35)}\" y=\"{Height - Bottom + 14}\" font-size=\"10\" text-anchor=\"middle\">{WebUtility.HtmlEncode(labels.ElementAtOrDefault(i) ?? "")}</text>");
        }
        return new Svg(svg.Append("</svg>").ToString(), $"bar chart: {title}");
    }

    private static StringBuilder Frame(string title, double min, double max, string xLabel)
    {
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\">");
        svg.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        svg.Append($"<text x=\"{Left}\" y=\"14\" font-size=\"13\">{WebUtility.HtmlEncode(title)}</text>");
        svg.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>");
        svg.Append($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>");
        svg.Append($"<text x=\"{Left - 4}\" y=\"{Top + 4}\" font-size=\"10\" text-anchor=\"end\">{max:G3}</text>");
        svg.Append($"<text x=\"{Left - 4}\" y=\"{Height - Bottom}\" font-size=\"10\" text-anchor=\"end\">{min:G3}</text>");
        if (xLabel.Length > 0) svg.Append($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" font-size=\"10\" text-anchor=\"middle\">{WebUtility.HtmlEncode(xLabel)}</text>");
        return svg;
    }

    private static void Legend(StringBuilder svg, int index, string name)
    {
        int y = Top + 10 + index * 16;
        svg.Append($"<rect x=\"{Width - Right + 10}\" y=\"{y - 8}\" width=\"10\" height=\"10\" fill=\"{Colours[index % Colours.Length]}\"/>");
        svg.Append($"<text x=\"{Width - Right + 24}\" y=\"{y + 1}\" font-size=\"11\">{WebUtility.HtmlEncode(name)}</text>");
    }

    private static string N(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
}
