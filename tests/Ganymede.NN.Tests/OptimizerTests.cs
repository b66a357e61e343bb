using Ganymede.NN.Optim;

namespace Ganymede.NN.Tests;

public class OptimizerTests
{
    /// <summary>Minimises (w − 3)²; every optimizer must get close.</summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void Optimizers_minimise_a_quadratic(string name)
    {
        var w = torch.zeros(4);
        w.requires_grad = true;
        Optimizer opt = name switch
        {
            "sgd" => new SGD([w], lr: 0.1f, momentum: 0.9f),
            "adam" => new Adam([w], lr: 0.1f),
            _ => new AdamW([w], lr: 0.1f, weight_decay: 0f),
        };
        for (int i = 0; i < 300; i++)
        {
            opt.zero_grad();
            w.sub(3f).square().sum().backward();
            opt.step();
        }
        Assert.All(w.ToArray(), v => Assert.Equal(3f, v, 2));
    }

    [Fact]
    public void Schedules_follow_pytorch_formulas()
    {
        var opt = new SGD([torch.zeros(1)], lr: 1f);
        var step = new StepLR(opt, step_size: 2, gamma: 0.5f);
        step.step();
        Assert.Equal(1f, opt.lr);
        step.step();
        Assert.Equal(0.5f, opt.lr);

        var cos = new SGD([torch.zeros(1)], lr: 1f);
        var schedule = new CosineAnnealingLR(cos, T_max: 4);
        schedule.step();
        schedule.step();
        Assert.Equal(0.5f, cos.lr, 5);
        // Resumed after two steps, it continues from there.
        var resumed = new SGD([torch.zeros(1)], lr: 1f);
        var again = new CosineAnnealingLR(resumed, T_max: 4, last_epoch: 2);
        Assert.Equal(0.5f, resumed.lr, 5);
        schedule.step();
        again.step();
        Assert.Equal(cos.lr, resumed.lr, 6);

        var plateau = new SGD([torch.zeros(1)], lr: 1f);
        var reduce = new ReduceLROnPlateau(plateau, patience: 1, factor: 0.1f);
        foreach (var metric in new[] { 1f, 1f, 1f }) reduce.step(metric);
        Assert.Equal(0.1f, plateau.lr, 5);
    }

    [Fact]
    public void Clip_grad_norm_scales_to_the_limit()
    {
        var w = torch.zeros(2);
        w.requires_grad = true;
        w.mul(torch.tensor([3f, 4f])).sum().backward();
        float norm = GradClip.clip_grad_norm_([w], 1f);
        Assert.Equal(5f, norm, 4);
        Assert.Equal([0.6f, 0.8f], w.grad!.ToArray().Select(v => MathF.Round(v, 4)).ToArray());
    }
}
