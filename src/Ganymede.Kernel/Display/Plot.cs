namespace Ganymede.Kernel.Display;

/// <summary>
/// Line plots (training curves) and bar charts for notebooks, drawn with ScottPlot: axes with ticks, grid, labels and
/// a legend. Each chart carries an SVG and a PNG of itself, so a reopened (untrusted) notebook still shows the PNG.
/// </summary>
public static class Plot
{
    private const int Width = 560, Height = 320;

    /// <summary>One line per named series, over x = 1, 2, 3, ... (epochs).</summary>
    public static Chart Line(string title, params (string Name, IReadOnlyList<double> Values)[] series) => Line(title, "epoch", series);

    /// <summary>One line per named series, over x = 1, 2, 3, ..., the x axis named <paramref name="xLabel"/>.</summary>
    public static Chart Line(string title, string xLabel, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, values) in series)
        {
            var line = plot.Add.ScatterLine(Enumerable.Range(1, values.Count).Select(i => (double)i).ToArray(), values.ToArray());
            line.LegendText = name;
        }
        plot.XLabel(xLabel);
        if (series.Length > 1) plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return Render(plot, title, $"line plot: {title} ({string.Join(", ", series.Select(s => s.Name))})");
    }

    public static Chart Bar(string title, IReadOnlyList<string> labels, IReadOnlyList<double> values)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Bars(values.ToArray());
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray(), labels.ToArray());
        plot.Axes.Margins(bottom: 0);
        return Render(plot, title, $"bar chart: {title}");
    }

    private static Chart Render(ScottPlot.Plot plot, string title, string description)
    {
        using (plot)
        {
            plot.Title(title);
            return new Chart(plot.GetSvgXml(Width, Height), plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png), description);
        }
    }
}
