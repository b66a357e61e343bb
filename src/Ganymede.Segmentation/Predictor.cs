using Ganymede.Formats.Datasets;

namespace Ganymede.Segmentation;

/// <summary>
/// Predicts masks for slices of any size and either kind (raw intensities, or pixels packed by `data pack`): mapped
/// to the model's scale by <see cref="ModelInput"/>, resized to the model's input size (or, for models trained on body
/// crops, cut to the body's square and resized), run in batches, and the probabilities resized back to each slice's
/// own size and place. Optional test-time augmentation averages over the eight flips and transposes.
/// </summary>
public sealed class Predictor(SegmentationModel model, int batch = 8, bool testTimeAugmentation = false)
{
    private readonly ModelConfig config = model.Config;

    /// <summary>Probabilities for a packed split (X_test, X_valid, ...): the split's own <see cref="PackInfo"/> says how its pixels were scaled.</summary>
    public Tensor Probabilities(SegmentationSplit split) => Probabilities(split.Images, split.Packing, split.Name);

    /// <param name="slices">Slices [N, C, H, W]: raw intensities as in the source files, or packed pixels when <paramref name="packing"/> is given.</param>
    /// <param name="packing">How the slices were packed, or null for raw intensities.</param>
    /// <param name="source">Names the input in errors.</param>
    /// <returns>Probabilities [N, K, H, W] in [0, 1].</returns>
    public Tensor Probabilities(Tensor slices, PackInfo? packing = null, string source = "the slices")
    {
        if (slices.dim() != 4 || slices.size(1) != config.InChannels)
            throw new ShapeException($"predict: the model takes {config.InChannels}-channel slices [N, {config.InChannels}, H, W], got [{string.Join(", ", slices.shape)}]");
        int h = slices.size(2), w = slices.size(3), size = config.InputSize > 0 ? config.InputSize : h;
        using var noGrad = torch.no_grad();
        var scaled = ModelInput.Scale(model, slices, packing, source);
        bool crop = ModelInput.NeedsBodyCrop(model, packing);
        // Raw slices are cut where their own intensities say the body is, packed ones where their pixels do.
        var cropBasis = packing is null ? slices : scaled;
        var outputs = new List<Tensor>();
        for (int start = 0; start < slices.size(0); start += batch)
        {
            using var scope = torch.NewDisposeScope();
            int count = Math.Min(batch, slices.size(0) - start);
            var x = scaled.narrow(0, start, count);
            var crops = crop ? Enumerable.Range(start, count).Select(i => BodyCrop.Find(cropBasis.select(0, i).select(0, 0).contiguous().ToArray(), h, w)).ToArray() : null;
            if (crops is not null) x = Cut(x, crops, size);
            else if (h != size || w != size) x = F.interpolate(x, (size, size), "bilinear");
            var p = testTimeAugmentation ? SymmetryAveraged(x) : model.Logits(x.contiguous()).sigmoid();
            if (crops is not null) p = Paste(p, crops, h, w);
            else if (h != size || w != size) p = F.interpolate(p, (h, w), "bilinear");
            outputs.Add(p.contiguous().MoveToOuterDisposeScope());
        }
        return torch.cat(outputs, 0);
    }

    /// <summary>Each slice of <paramref name="x"/> [N, C, H, W] cut to its body square (as `data pack --crop body` did) and resized to [N, C, size, size].</summary>
    private static Tensor Cut(Tensor x, BodyCrop[] crops, int size)
    {
        int c = x.size(1), h = x.size(2), w = x.size(3);
        return torch.cat(crops.Select((crop, i) =>
        {
            var planes = x.select(0, i).contiguous().ToArray();
            var square = torch.tensor(crop.Cut(planes, c, h, w, planes.Min()), 1, c, crop.Side, crop.Side);
            return F.interpolate(square, (size, size), "bilinear");
        }).ToList(), 0);
    }

    /// <summary>Probabilities [N, K, size, size] of the body squares put back in place: [N, K, H, W], zero outside the squares.</summary>
    private static Tensor Paste(Tensor p, BodyCrop[] crops, int h, int w)
    {
        int k = p.size(1);
        return torch.cat(crops.Select((crop, i) =>
        {
            var square = F.interpolate(p.narrow(0, i, 1), (crop.Side, crop.Side), "bilinear").contiguous().ToArray();
            var full = new float[k * h * w];
            crop.Paste(square, k, full, h, w);
            return torch.tensor(full, 1, k, h, w);
        }).ToList(), 0);
    }

    /// <summary>
    /// The mean of the probabilities over the four flips of <paramref name="x"/> and, for square inputs, over the
    /// four flips of its transpose too (the eight symmetries of a square, which training's flips and 90-degree turns cover).
    /// </summary>
    private Tensor SymmetryAveraged(Tensor x)
    {
        var views = x.size(2) == x.size(3) ? new[] { false, true } : [false];
        Tensor? sum = null;
        foreach (bool transposed in views)
            foreach (var dims in new[] { Array.Empty<int>(), [3], [2], [2, 3] })
            {
                var input = Flip(transposed ? x.transpose(2, 3) : x, dims).contiguous();
                var p = Flip(model.Logits(input).sigmoid(), dims);
                p = transposed ? p.transpose(2, 3) : p;
                sum = sum is null ? p : sum.add(p);
            }
        return sum!.div(4f * views.Length);
    }

    private static Tensor Flip(Tensor t, int[] dims) => dims.Aggregate(t, Augmentation.Flip);
}
