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
    public static PngImage SideBySide(Tensor slice, Tensor? truth, Tensor predicted)
    {
        var grey = slice.clamp(0, 1).mul(255f);
        var panels = new List<Tensor> { torch.stack([grey, grey, grey]) };
        if (truth is not null) panels.Add(Overlay(grey, truth, [0, 255, 0]));
        panels.Add(Overlay(grey, predicted, [255, 0, 0]));
        // A 4-pixel white gutter between panels.
        var gutter = torch.full([3, slice.size(0), 4], 255f);
        var row = new List<Tensor>();
        foreach (var p in panels)
        {
            if (row.Count > 0) row.Add(gutter);
            row.Add(p);
        }
        return PngImage.FromTensor(torch.cat(row, 2));
    }

    private static Tensor Overlay(Tensor grey, Tensor mask, float[] colour)
    {
        var m = mask.gt(0.5f).@float();
        var keep = m.mul(-0.55f).add(1f);
        return torch.stack(colour.Select(c => grey.mul(keep).add(m.mul(0.55f * c))).ToList());
    }
}
