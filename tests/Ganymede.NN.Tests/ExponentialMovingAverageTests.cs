using Ganymede.NN.Optim;

namespace Ganymede.NN.Tests;

public class ExponentialMovingAverageTests
{
    [Fact]
    public void The_average_follows_the_warmed_up_decay_and_swaps_in_and_out()
    {
        var layer = new BatchNorm2d(2);
        using var average = new ExponentialMovingAverage(layer, decay: 0.5f);
        using (torch.no_grad())
        {
            layer.weight!.fill_(3f);
            average.update(); // warm-up decay min(0.5, 1/10) = 0.1: 0.1·1 + 0.9·3
            layer.weight!.fill_(5f);
            average.update(); // min(0.5, 2/11): (2/11)·2.8 + (9/11)·5
        }
        float expected = 2f / 11 * 2.8f + 9f / 11 * 5f;
        using (average.swap_in())
        {
            Assert.All(layer.weight!.ToArray(), v => Assert.Equal(expected, v, 5));
            Assert.All(layer.running_mean.ToArray(), v => Assert.Equal(0f, v));
        }
        Assert.All(layer.weight!.ToArray(), v => Assert.Equal(5f, v));
        Assert.Equal(2, average.updates);
    }

    [Fact]
    public void A_saved_average_restores_exactly_and_a_foreign_one_is_refused()
    {
        var layer = new BatchNorm2d(3);
        using var average = new ExponentialMovingAverage(layer, decay: 0.9f);
        using (torch.no_grad()) layer.bias!.fill_(1f);
        average.update();
        using var restored = new ExponentialMovingAverage(layer, decay: 0.9f);
        restored.load_state_dict(average.state_dict());
        Assert.Equal(average.updates, restored.updates);
        Assert.Equal(average.state_dict()["bias"].ToArray(), restored.state_dict()["bias"].ToArray());
        var error = Assert.Throws<ArgumentException>(() => restored.load_state_dict(new ExponentialMovingAverage(new BatchNorm2d(3), 0.9f).state_dict().Where(kv => kv.Key != "weight").ToDictionary()));
        Assert.Contains("'weight'", error.Message);
        Assert.Throws<ArgumentException>(() => new ExponentialMovingAverage(layer, decay: 1f));
    }
}
