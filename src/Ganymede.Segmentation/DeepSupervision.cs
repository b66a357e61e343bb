using Ganymede.NN;

namespace Ganymede.Segmentation;

/// <summary>
/// Deep supervision (nnU-Net's): a 1x1 head on each coarser decoder level predicts the mask at that level's size,
/// and the loss adds those predictions' losses against the mask shrunk by nearest neighbour, each coarser level
/// weighted half the one above, the weights summing to 1. The heads live beside the UNet, not in it, so the
/// trained model, its checkpoints and its ONNX export are those of the plain UNet.
/// </summary>
public sealed class DeepSupervision : Module
{
    private readonly ModuleList _heads;

    public DeepSupervision(UNet model, Generator? generator = null)
    {
        _heads = register_module("heads", new ModuleList());
        for (int level = 0; level < model.Depth - 1; level++)
            _heads.append(new Conv2d(model.BaseWidth << (model.Depth - 1 - level), model.OutChannels, 1, generator: generator));
    }

    /// <summary>The heads' biases, to start them at the same prior as the model's own head.</summary>
    public IEnumerable<Tensor> Biases => Enumerable.Range(0, _heads.Count).Select(i => ((Conv2d)_heads[i]).bias!);

    public override Tensor forward(Tensor input) =>
        throw new NotSupportedException("DeepSupervision: use Loss, with the UNet's forward_with_decoder outputs");

    /// <summary>The weighted sum of <paramref name="loss"/> on the full-size logits and on every coarser level's prediction.</summary>
    public Tensor Loss(Tensor logits, IReadOnlyList<Tensor> decoder, Tensor target, Func<Tensor, Tensor, Tensor> loss)
    {
        // decoder[^1] is what the model's own head reads; the coarser levels come before it.
        var weights = Enumerable.Range(0, decoder.Count).Select(k => 1.0 / (1 << k)).ToArray(); // k = levels below full size
        double sum = weights.Sum();
        var total = loss(logits, target).mul((float)(weights[0] / sum));
        for (int k = 1; k < decoder.Count; k++)
        {
            var features = decoder[^(k + 1)];
            var small = F.interpolate(target, (features.size(2), features.size(3)), "nearest");
            total = total.add(loss(_heads[decoder.Count - 1 - k].forward(features), small).mul((float)(weights[k] / sum)));
        }
        return total;
    }
}
