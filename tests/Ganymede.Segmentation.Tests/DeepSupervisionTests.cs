using Ganymede.NN;

namespace Ganymede.Segmentation.Tests;

public class DeepSupervisionTests
{
    [Fact]
    public void Each_coarser_level_is_scored_against_the_mask_at_its_size_with_half_the_weight()
    {
        using var model = new UNet(baseWidth: 4, depth: 3, generator: new Generator(0));
        using var supervision = new DeepSupervision(model, new Generator(1));
        var (logits, decoder) = model.forward_with_decoder(torch.rand(2, 1, 16, 16));
        var target = torch.ones(2, 1, 16, 16);
        var sizes = new List<(int, int)>();
        // A "loss" that is the target's pixel count per image shows which sizes were compared and how they were weighted.
        var total = supervision.Loss(logits, decoder, target, (p, t) =>
        {
            Assert.Equal(p.shape, t.shape);
            sizes.Add((t.size(2), t.size(3)));
            return torch.tensor([t.size(2) * (float)t.size(3)], []);
        });
        Assert.Equal([(16, 16), (8, 8), (4, 4)], sizes);
        Assert.Equal((256 + 0.5f * 64 + 0.25f * 16) / 1.75f, total.item(), 3);
    }
}
