using Ganymede.Formats.Png;

namespace Ganymede.Segmentation;

/// <summary>
/// The original paper's Fig. 2, per slice: the CT slice, the ground truth (when known) and the prediction side
/// by side, infection overlaid in colour (truth in green, prediction in red) on the grey slice.
/// </summary>
public static class Figures
{
    /// <param name="slice">[H, W] intensities already in [0, 1].</param>
    /// <param name="truth">[H, W] 0/1 mask, or null.</param>
    /// <param name="predicted">[H, W] 0/1 mask.</param>
    public static PngImage SideBySide(Tensor slice, Tensor? truth, Tensor predicted) => PngImage.FromTensor(Row(slice, truth, predicted));

    /// <summary>
    /// Several slices in one figure, a row each (CT, truth when known, prediction): the first
    /// <paramref name="maxRows"/> slices with infection in truth or prediction, else the first slices.
    /// </summary>
    /// <param name="slices">[N, H, W] intensities in [0, 1]; <paramref name="truth"/> and <paramref name="predicted"/> [N, H, W] 0/1 masks.</param>
    public static PngImage Rows(Tensor slices, Tensor? truth, Tensor predicted, int maxRows = 6)
    {
        int n = slices.size(0);
        bool Interesting(int k) => predicted.select(0, k).sum().item() > 0 || (truth is not null && truth.select(0, k).sum().item() > 0);
        var chosen = Enumerable.Range(0, n).Where(Interesting).Concat(Enumerable.Range(0, n)).Distinct().Take(maxRows).Order().ToList();
        var rows = new List<Tensor>();
        foreach (var k in chosen)
        {
            var row = Row(slices.select(0, k), truth?.select(0, k), predicted.select(0, k));
            if (rows.Count > 0) rows.Add(torch.full([3, 4, row.size(2)], 255f));
            rows.Add(row);
        }
        return PngImage.FromTensor(torch.cat(rows, 1));
    }

    /// <summary>One row [3, H, W'] of panels with a 4-pixel white gutter between them.</summary>
    private static Tensor Row(Tensor slice, Tensor? truth, Tensor predicted)
    {
        var grey = slice.clamp(0, 1).mul(255f);
        var panels = new List<Tensor> { torch.stack([grey, grey, grey]) };
        if (truth is not null) panels.Add(Overlay(grey, truth, [0, 255, 0]));
        panels.Add(Overlay(grey, predicted, [255, 0, 0]));
        var gutter = torch.full([3, slice.size(0), 4], 255f);
        var row = new List<Tensor>();
        foreach (var p in panels)
        {
            if (row.Count > 0) row.Add(gutter);
            row.Add(p);
        }
        return torch.cat(row, 2);
    }

    private static Tensor Overlay(Tensor grey, Tensor mask, float[] colour)
    {
        var m = mask.gt(0.5f).@float();
        var keep = m.mul(-0.55f).add(1f);
        return torch.stack(colour.Select(c => grey.mul(keep).add(m.mul(0.55f * c))).ToList());
    }
}
