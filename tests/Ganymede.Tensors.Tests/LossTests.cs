namespace Ganymede.Tensors.Tests;

public class LossTests
{
    [Fact]
    public void Per_sample_soft_dice_is_the_mean_of_each_samples_own_dice()
    {
        torch.manual_seed(7);
        var p = torch.rand(3, 1, 4, 5);
        var t = torch.rand(3, 1, 4, 5).gt(0.8f).@float();
        float expected = Enumerable.Range(0, 3).Average(i => F.soft_dice_loss(p.narrow(0, i, 1), t.narrow(0, i, 1)).item());
        Assert.Equal(expected, F.soft_dice_loss(p, t, batch: false).item(), 5);
        Assert.NotEqual(expected, F.soft_dice_loss(p, t).item(), 3);
    }

    [Fact]
    public void Per_sample_soft_dice_needs_a_batch_dimension()
    {
        var e = Assert.Throws<ShapeException>(() => F.soft_dice_loss(torch.rand(5), torch.ones(5), batch: false));
        Assert.Contains("soft_dice_loss", e.Message);
    }
}
