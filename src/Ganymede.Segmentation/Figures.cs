using Ganymede.Formats.Png;
using ScottPlot;
using SkiaSharp;

namespace Ganymede.Segmentation;

/// <summary>
/// The figures a reader of a segmentation result needs, drawn with ScottPlot: per slice the CT and the masks over
/// it, titled with the slice's identity and (when truth is known) its Dice, with a legend; probability maps with a
/// colour bar; training curves with axes, grid, epoch numbers and the best epoch marked. One colour scheme everywhere:
/// truth <see cref="TruthColour"/> (green), prediction <see cref="PredictionColour"/> (red), both <see cref="OverlapColour"/> (yellow).
/// </summary>
public static class Figures
{
    public static readonly byte[] TruthColour = [0, 200, 0], PredictionColour = [230, 30, 30], OverlapColour = [255, 220, 0];

    private const int Panel = 320, Title = 40;

    /// <summary>
    /// A figure with a row per slice (CT; masks over the CT; and with <paramref name="probabilities"/>, the probability
    /// map with a colour bar): the first <paramref name="maxRows"/> slices with infection in truth or prediction, else the first slices.
    /// </summary>
    /// <param name="slices">[N, H, W] intensities in [0, 1].</param>
    /// <param name="truth">[N, H, W] 0/1 masks, or null when unknown.</param>
    /// <param name="predicted">[N, H, W] 0/1 masks.</param>
    /// <param name="labels">Each slice's name in titles (e.g. "train_im.nii.gz:12").</param>
    /// <param name="probabilities">[N, H, W] probabilities, or null.</param>
    public static PngImage Slices(Tensor slices, Tensor? truth, Tensor predicted, IReadOnlyList<string> labels, int maxRows = 6, Tensor? probabilities = null)
    {
        int n = slices.size(0);
        bool Interesting(int k) => predicted.select(0, k).sum().item() > 0 || (truth is not null && truth.select(0, k).sum().item() > 0);
        var chosen = Enumerable.Range(0, n).Where(Interesting).Concat(Enumerable.Range(0, n)).Distinct().Take(maxRows).Order().ToList();
        var dice = truth is null ? null : SegmentationMetrics.DicePerSlice(predicted, truth);
        int columns = probabilities is null ? 2 : 3;
        var rows = chosen.Select(k =>
        {
            string title = $"slice {labels[k]}" + (dice is null ? "" : $", Dice {dice[k]:F3}");
            var panels = new List<Plot> { ImagePlot(Grey(slices.select(0, k)), $"CT, {title}"), ImagePlot(Overlay(slices.select(0, k), truth?.select(0, k), predicted.select(0, k)), truth is null ? "prediction" : "truth and prediction") };
            LegendFor(panels[1], truth is not null);
            if (probabilities is not null) panels.Add(ProbabilityPlot(probabilities.select(0, k)));
            return panels;
        }).ToList();
        return Compose(rows, columns, Panel, Panel + Title);
    }

    /// <summary>The CT slice and the masks over it, side by side (notebooks' <c>Overlay</c>).</summary>
    public static PngImage SideBySide(Tensor slice, Tensor? truth, Tensor predicted) =>
        Slices(slice.unsqueeze(0), truth?.unsqueeze(0), predicted.unsqueeze(0), ["0"]);

    /// <summary>Training curves: losses on the left, validation Dice on the right, the best epoch marked on both.</summary>
    public static PngImage TrainingCurves(IReadOnlyList<EpochMetrics> epochs)
    {
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        var best = epochs.Where(e => !double.IsNaN(e.Dice)).MaxBy(e => e.Dice);
        var loss = new Plot();
        loss.Add.ScatterLine(x, epochs.Select(e => e.TrainLoss).ToArray(), Colors.Blue).LegendText = "training loss";
        if (epochs.Any(e => !double.IsNaN(e.ValidLoss))) loss.Add.ScatterLine(x, epochs.Select(e => e.ValidLoss).ToArray(), Colors.Orange).LegendText = "validation loss";
        var dice = new Plot();
        dice.Add.ScatterLine(x, epochs.Select(e => e.Dice).ToArray(), Colors.Green).LegendText = "validation Dice (mean per slice)";
        // Loss falls and Dice rises, so each legend sits where its curves are not.
        foreach (var (plot, title, axis, legend) in new[] { (loss, "Loss", "loss", Alignment.UpperRight), (dice, "Validation Dice", "Dice", Alignment.LowerRight) })
        {
            plot.Title(title);
            plot.XLabel("epoch");
            plot.YLabel(axis);
            if (best is not null)
            {
                var line = plot.Add.VerticalLine(best.Epoch, 1, Colors.Gray, LinePattern.Dashed);
                line.LegendText = $"best epoch {best.Epoch} (Dice {best.Dice:F3})";
            }
            plot.ShowLegend(legend);
        }
        return Compose([[loss, dice]], 2, 560, 400);
    }

    /// <summary>A plot showing an RGB image [3, H, W] (0-255) at its pixel coordinates, row 0 at the top, without axes.</summary>
    private static Plot ImagePlot(Tensor rgb, string title)
    {
        int h = rgb.size(1), w = rgb.size(2);
        var plot = new Plot();
        plot.Add.ImageRect(new Image(PngImage.FromTensor(rgb).Encode()), new CoordinateRect(0, w, 0, h));
        plot.Axes.SetLimits(0, w, 0, h);
        plot.Axes.SquareUnits();
        plot.HideAxesAndGrid();
        plot.Title(title, 13);
        return plot;
    }

    private static Plot ProbabilityPlot(Tensor p)
    {
        int h = p.size(0), w = p.size(1);
        var values = p.contiguous().ToArray();
        var grid = new double[h, w];
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) grid[r, c] = values[r * w + c];
        var plot = new Plot();
        var map = plot.Add.Heatmap(grid);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.ManualRange = new ScottPlot.Range(0, 1);
        plot.Add.ColorBar(map, Edge.Right).Label = "probability";
        plot.Axes.SquareUnits();
        plot.HideAxesAndGrid();
        plot.Title("probability of infection", 13);
        return plot;
    }

    private static void LegendFor(Plot plot, bool withTruth)
    {
        static LegendItem Item(string text, byte[] c) => new() { LabelText = text, FillColor = new Color(c[0], c[1], c[2]) };
        plot.Legend.ManualItems.AddRange(withTruth
            ? [Item("truth", TruthColour), Item("prediction", PredictionColour), Item("both", OverlapColour)]
            : [Item("prediction", PredictionColour)]);
        plot.ShowLegend(Alignment.LowerRight);
    }

    private static Tensor Grey(Tensor slice)
    {
        var grey = slice.clamp(0, 1).mul(255f);
        return torch.stack([grey, grey, grey]);
    }

    /// <summary>The CT in grey with truth, prediction and their overlap blended in their colours.</summary>
    private static Tensor Overlay(Tensor slice, Tensor? truth, Tensor predicted)
    {
        var grey = slice.clamp(0, 1).mul(255f);
        var p = predicted.gt(0.5f).@float();
        var t = truth?.gt(0.5f).@float() ?? torch.zeros_like(p);
        var both = p.mul(t);
        var (onlyP, onlyT) = (p.sub(both), t.sub(both));
        var any = p.add(t).sub(both);
        var keep = any.mul(-0.55f).add(1f);
        return torch.stack(Enumerable.Range(0, 3).Select(c =>
            grey.mul(keep).add(onlyT.mul(0.55f * TruthColour[c])).add(onlyP.mul(0.55f * PredictionColour[c])).add(both.mul(0.55f * OverlapColour[c]))).ToList());
    }

    /// <summary>Renders rows of plots onto one canvas, each plot in a <paramref name="width"/> x <paramref name="height"/> cell.</summary>
    private static PngImage Compose(IReadOnlyList<IReadOnlyList<Plot>> rows, int columns, int width, int height)
    {
        using var surface = SKSurface.Create(new SKImageInfo(columns * width, Math.Max(1, rows.Count) * height));
        surface.Canvas.Clear(SKColors.White);
        for (int r = 0; r < rows.Count; r++)
            for (int c = 0; c < rows[r].Count; c++)
            {
                // Each plot renders alone (rendering onto a shared canvas clears it), then is drawn into its cell.
                using var plot = rows[r][c];
                using var cell = SKBitmap.Decode(plot.GetImageBytes(width, height, ImageFormat.Png));
                surface.Canvas.DrawBitmap(cell, c * width, r * height);
            }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return PngImage.Decode(data.ToArray(), "figure");
    }
}
