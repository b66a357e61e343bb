namespace Ganymede.Tensors.Tests;

public class LossTests
{
    [Fact]
    public void Per_sample_soft_dice_is_the_mean_of_each_samples_own_dice()
    {
        var g = new Generator(7);
        var p = torch.rand([3, 1, 4, 5], g);
        var t = torch.rand([3, 1, 4, 5], g).gt(0.8f).@float();
        float expected = Enumerable.Range(0, 3).Average(i => F.soft_dice_loss(p.narrow(0, i, 1), t.narrow(0, i, 1)).item());
        Assert.Equal(expected, F.soft_dice_loss(p, t, batch: false).item(), 5);
        Assert.NotEqual(expected, F.soft_dice_loss(p, t).item(), 3);
    }

    [Fact]
    public void Per_sample_soft_dice_needs_a_batch_dimension()
    {
        var e = Assert.Throws<ShapeException>(() => F.soft_dice_loss(torch.rand(5), torch.ones(5), batch: false));
        Assert.Contains("soft_dice_loss: per sample needs a batch dimension", e.Message);
    }

    [Fact]
    public void Tversky_loss_matches_its_formula_and_weighs_extra_pixels_by_alpha()
    {
        // One sample: TP = 0.9 + 0.2 = 1.1, FP = 0.6 + 0.1 = 0.7, FN = 0.1 + 0.8 = 0.9.
        var p = torch.tensor(new float[] { 0.9f, 0.2f, 0.6f, 0.1f }, 1, 1, 2, 2);
        var t = torch.tensor(new float[] { 1, 1, 0, 0 }, 1, 1, 2, 2);
        Assert.Equal(1 - (1.1 + 0.5) / (1.1 + 0.7 * 0.7 + 0.3 * 0.9 + 0.5), F.tversky_loss(p, t, 0.7f, 0.3f).item(), 5);
        Assert.Equal(1 - (2 * 1.1 + 1) / (1.8 + 2 + 1), F.soft_dice_loss(p, t).item(), 5);
        Assert.Equal(F.soft_dice_loss(p, t).item(), F.tversky_loss(p, t, 0.5f, 0.5f).item(), 6);
        // One wrong pixel costs more as an extra pixel than as a missed one when alpha > beta.
        var extra = torch.tensor(new float[] { 1, 0, 1, 0 }, 1, 1, 2, 2);
        var missed = torch.tensor(new float[] { 1, 0, 0, 0 }, 1, 1, 2, 2);
        var truth = torch.tensor(new float[] { 1, 0, 0, 0 }, 1, 1, 2, 2);
        var truthLarger = torch.tensor(new float[] { 1, 0, 1, 0 }, 1, 1, 2, 2);
        Assert.True(F.tversky_loss(extra, truth, 0.7f, 0.3f).item() > F.tversky_loss(missed, truthLarger, 0.7f, 0.3f).item());
    }
}
