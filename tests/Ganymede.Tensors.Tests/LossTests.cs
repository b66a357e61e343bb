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

    /// <summary>Far out in both tails (where e^x overflows float) and across the vector width and its tail: values and both gradients.</summary>
    [Fact]
    public void Binary_cross_entropy_with_logits_holds_its_formula_in_the_tails()
    {
        float[] xs = [-200f, -30f, -3f, -0.5f, 0f, 0.25f, 2f, 30f, 200f, 1f, -1f];
        float[] ts = [1f, 0f, 0.3f, 1f, 0f, 1f, 0.7f, 0f, 1f, 0f, 1f];
        var x = torch.tensor(xs);
        var t = torch.tensor(ts);
        x.requires_grad = true;
        t.requires_grad = true;
        var loss = F.binary_cross_entropy_with_logits(x, t);
        loss.backward();
        int n = xs.Length;
        double Softplus(double v) => Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));
        double expected = xs.Select((v, i) => (1 - ts[i]) * v + Softplus(-v)).Average();
        Assert.Equal(expected, loss.item(), 4);
        var dx = x.grad!.ToArray();
        var dt = t.grad!.ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal((1 / (1 + Math.Exp(-xs[i])) - ts[i]) / n, dx[i], 6);
            Assert.Equal(-xs[i] / n, dt[i], 5);
        }
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
