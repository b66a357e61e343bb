using Ganymede.Formats.Datasets;

namespace Ganymede.Segmentation;

/// <summary>
/// The one intensity contract between data and models. A model records the raw intensity range it was trained on
/// (<see cref="ModelConfig.IntensityLow"/>..<see cref="ModelConfig.IntensityHigh"/>, mapped to [0, 1]) and whether it
/// expects slices cut to the body; data is either raw (NIfTI in its own units, Hounsfield or 0-255, PNG, a tensor) or
/// packed by `data pack` (already in [0, 1], described by a <see cref="PackInfo"/>). Every prediction path maps its
/// input through <see cref="Scale"/>, and input that cannot be mapped correctly is refused with the reason.
/// </summary>
public static class ModelInput
{
    /// <summary>Raw input whose spread covers less than this share of the model's range is taken for data on another scale.</summary>
    private const float MinimumSpan = 0.05f;

    /// <summary>
    /// Slices [N, C, H, W] in the model's [0, 1] scale, at their own geometry.
    /// </summary>
    /// <param name="packing">How the slices were packed, or null for raw intensities.</param>
    /// <param name="source">Names the input in errors.</param>
    public static Tensor Scale(SegmentationModel model, Tensor slices, PackInfo? packing, string source = "the slices")
    {
        var config = model.Config;
        if (model.NormalisesByVolume) return ByVolume(slices);
        if (packing is not null)
        {
            if (packing.Crop == "body" && !config.CropsToBody)
                throw new ArgumentException($"{source} holds slices cut to the body, but this model was trained on whole slices: pack the data with --crop none, or predict on the original volume");
            if (Same(packing.Low, config.IntensityLow) && Same(packing.High, config.IntensityHigh)) return slices;
            // Packed pixels were clamped to the pack's range; that loses nothing the model sees only when its range lies inside.
            if (packing.Low > config.IntensityLow + Tolerance(config) || packing.High < config.IntensityHigh - Tolerance(config))
                throw new ArgumentException($"{source} was packed from intensities {packing.Low:G4}..{packing.High:G4}, but the model expects {config.IntensityLow:G4}..{config.IntensityHigh:G4}: " +
                    "values outside the pack's range are lost, so predict on the original volume or pack with the model's window");
            return config.Normalise(slices.mul(packing.High - packing.Low).add(packing.Low));
        }
        Check(config, slices, source);
        return config.Normalise(slices);
    }

    /// <summary>Whether the slices still have to be cut to the body before they meet the model.</summary>
    public static bool NeedsBodyCrop(SegmentationModel model, PackInfo? packing) => model.Config.CropsToBody && packing?.Crop != "body";

    /// <summary>Refuses raw slices whose values do not look like the intensities the model was trained on.</summary>
    private static void Check(ModelConfig config, Tensor slices, string source)
    {
        float low = config.IntensityLow, high = config.IntensityHigh, range = high - low;
        float min = slices.min().item(), max = slices.max().item();
        string expected = $"the model expects raw intensities in {low:G4}..{high:G4} (it scales them itself)";
        if (max - min < MinimumSpan * range)
            throw new ArgumentException($"{source} span only {min:G4}..{max:G4}, but {expected}: " +
                (min >= 0 && max <= 1 ? "these look like slices already scaled to [0, 1] by data pack; pass the split itself (Predictor.Probabilities(split)) or the original volume" : "give the slices in their original units"));
        long n = slices.numel();
        float outside = slices.lt(low - Tolerance(config)).@float().sum().item() + slices.gt(high + Tolerance(config)).@float().sum().item();
        if (outside > 0.5f * n)
            throw new ArgumentException($"{source}: {100 * outside / n:F0}% of the pixels lie outside {low:G4}..{high:G4}, but {expected}: are these slices on another scale (Hounsfield units against 0-255)?");
    }

    /// <summary>Foreign models carry no intensity range: each input's own range maps to [0, 1].</summary>
    private static Tensor ByVolume(Tensor slices)
    {
        float low = slices.min().item(), high = slices.max().item();
        return slices.sub(low).div(Math.Max(high - low, 1e-12f)).clamp(0, 1);
    }

    private static float Tolerance(ModelConfig config) => 1e-3f * Math.Abs(config.IntensityHigh - config.IntensityLow);

    private static bool Same(float a, float b) => Math.Abs(a - b) <= 1e-6f * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));
}
