namespace Ganymede.Segmentation;

/// <summary>
/// Predicts masks for raw slices of any size: normalised as in training, resized to the model's input size,
/// run in batches, and the probabilities resized back to each slice's own size. Optional test-time
/// augmentation averages the four flips.
/// </summary>
public sealed class Predictor(SegmentationModel model, int batch = 8, bool flipAugment = false)
{
    private readonly ModelConfig config = model.Config;

    /// <param name="slices">Raw slices [N, C, H, W] (intensities as in the source files).</param>
    /// <returns>Probabilities [N, K, H, W] in [0, 1].</returns>
    public Tensor Probabilities(Tensor slices)
    {
        if (slices.dim() != 4 || slices.size(1) != config.InChannels)
            throw new ShapeException($"predict: the model takes {config.InChannels}-channel slices [N, {config.InChannels}, H, W], got [{string.Join(", ", slices.shape)}]");
        int h = slices.size(2), w = slices.size(3), size = config.InputSize > 0 ? config.InputSize : h;
        using var noGrad = torch.no_grad();
        // Foreign models carry no intensity range: the whole volume's range maps to [0, 1].
        float low = model.NormalisesByVolume ? slices.min().item() : config.IntensityLow;
        float high = model.NormalisesByVolume ? slices.max().item() : config.IntensityHigh;
        var outputs = new List<Tensor>();
        for (int start = 0; start < slices.size(0); start += batch)
        {
            using var scope = torch.NewDisposeScope();
            var x = slices.narrow(0, start, Math.Min(batch, slices.size(0) - start)).sub(low).div(Math.Max(high - low, 1e-12f)).clamp(0, 1);
            if (h != size || w != size) x = F.interpolate(x, (size, size), "bilinear");
            var p = flipAugment ? FlipAveraged(x) : model.Logits(x).sigmoid();
            if (h != size || w != size) p = F.interpolate(p, (h, w), "bilinear");
            outputs.Add(p.contiguous().MoveToOuterDisposeScope());
        }
        return torch.cat(outputs, 0);
    }

    private Tensor FlipAveraged(Tensor x)
    {
        var sum = model.Logits(x).sigmoid();
        foreach (var dims in new[] { new[] { 3 }, [2], [2, 3] })
            sum = sum.add(Flip(model.Logits(Flip(x, dims)).sigmoid(), dims));
        return sum.div(4f);
    }

    private static Tensor Flip(Tensor t, int[] dims) => dims.Aggregate(t, Augmentation.Flip);
}
