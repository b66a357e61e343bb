using Ganymede.Tests;
using static Ganymede.Tests.TestUtil;

namespace Ganymede.Tensors.Tests;

/// <summary>Every operation's backward against central finite differences.</summary>
public class GradCheckTests
{
    [Fact] public void Add_sub_mul_div_with_broadcasting() =>
        GradCheck(x => x[0].add(x[1]).mul(x[0]).sub(x[1].mul(2f)).div(x[2]), Randn(1, 2, 3), Randn(2, 3), Randn(3, 2, 1).abs().add(0.5f));

    [Fact] public void Pow_tensor_exponent() => GradCheck(x => x[0].pow(x[1]), Randn(3, 4).abs().add(0.5f), Randn(4, 4));

    [Fact] public void Maximum_minimum() => GradCheck(x => x[0].maximum(x[1]).add(x[0].minimum(x[1])), Randn(5, 6), Randn(6, 6));

    [Fact] public void Exp_log_sqrt_abs() =>
        GradCheck(x => x[0].exp().add(x[1].log()).add(x[1].sqrt()).add(x[0].abs()), Randn(7, 5), Randn(8, 5).abs().add(0.5f));

    [Fact] public void Pow_scalar_and_clamp() => GradCheck(x => x[0].pow(3f).add(x[0].clamp(-0.5f, 0.7f)), Randn(9, 10));

    [Fact] public void Activations() =>
        GradCheck(x => x[0].relu().add(x[0].leaky_relu(0.1f)).add(x[0].sigmoid()).add(x[0].tanh()), Randn(10, 12));

    [Fact] public void Softmax_and_log_softmax() => GradCheck(x => F.softmax(x[0], 1).add(F.log_softmax(x[0], 0)), Randn(11, 3, 5));

    [Fact] public void Sum_mean_max() =>
        GradCheck(x => x[0].sum(1).add(x[0].mean([0, 2]).sum()).add(x[0].max(2).values.sum(1).unsqueeze(1)), Randn(12, 2, 3, 4));

    [Fact] public void Where() => GradCheck(x => torch.where(x[0].gt(0), x[0], x[1]), Randn(13, 4, 4), Randn(14, 4, 4));

    [Fact] public void Views() =>
        GradCheck(x => x[0].permute(2, 0, 1).narrow(0, 1, 2).reshape(2, -1).transpose(0, 1).unsqueeze(0).mul(x[0].sum()), Randn(15, 2, 3, 4));

    [Fact] public void Matmul_and_linear() =>
        GradCheck(x => F.linear(x[0].matmul(x[1]), x[2], x[3]), Randn(16, 3, 4), Randn(17, 4, 5), Randn(18, 2, 5), Randn(19, 2));

    [Fact] public void Batched_matmul() => GradCheck(x => x[0].matmul(x[1]), Randn(20, 2, 3, 4), Randn(21, 2, 4, 2));

    [Fact] public void Conv2d_with_stride_padding_dilation_groups() =>
        GradCheck(x => F.conv2d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2, groups: 2), Randn(22, 2, 4, 7, 6), Randn(23, 4, 2, 3, 3), Randn(24, 4));

    [Fact] public void Conv_transpose2d_with_output_padding() =>
        GradCheck(x => F.conv_transpose2d(x[0], x[1], x[2], stride: 2, padding: 1, output_padding: 1), Randn(25, 2, 3, 4, 3), Randn(26, 3, 2, 3, 3), Randn(27, 2));

    [Fact] public void Max_and_avg_pool() =>
        GradCheck(x => F.max_pool2d(x[0], 3, 2, 1).sum().add(F.avg_pool2d(x[0], 2).mul(F.avg_pool2d(x[0], 2)).sum()), Randn(28, 2, 2, 7, 6));

    [Fact] public void Batch_norm_training() =>
        GradCheck(x => F.batch_norm(x[0], null, null, x[1], x[2], training: true), Randn(29, 3, 2, 3, 3), Randn(30, 2), Randn(31, 2));

    [Fact] public void Batch_norm_with_fused_relu() =>
        GradCheck(x => Ops.BatchNorm.Apply(x[0], null, null, x[1], x[2], training: true, momentum: 0.1f, eps: 1e-5f, relu: true), Randn(35, 3, 2, 3, 3), Randn(36, 2), Randn(37, 2));

    [Fact] public void Batch_norm_evaluation() =>
        GradCheck(x => F.batch_norm(x[0], torch.tensor([0.2f, -0.1f]), torch.tensor([1.5f, 0.7f]), x[1], x[2]), Randn(32, 2, 2, 3, 3), Randn(33, 2), Randn(34, 2));

    [Fact] public void Dropout_mask_is_the_gradient()
    {
        var x = torch.ones(1000);
        x.requires_grad = true;
        var y = F.dropout(x, 0.3f, training: true, generator: new Generator(5));
        y.sum().backward();
        Assert.Equal(y.ToArray(), x.grad!.ToArray());
        var zeros = y.ToArray().Count(v => v == 0);
        Assert.InRange(zeros, 240, 360);
        Assert.All(y.ToArray().Where(v => v != 0), v => Assert.Equal(1 / 0.7f, v, 5));
    }

    /// <summary>
    /// A seed's mask is part of a run's reproducibility (resume, seeds in the evidence): chunks of 65,536 elements, each
    /// with a generator seeded in turn from the caller's, two 24-bit uniforms from each 64-bit draw, an element kept when
    /// its uniform is at least p·2^24. The length spans two chunks and ends off a vector's edge.
    /// </summary>
    [Fact]
    public void Dropout_keeps_the_elements_the_seed_names()
    {
        const int chunk = 65536;
        int length = chunk + 13;
        float p = 0.3f;
        var x = torch.arange(length).add(1f);
        var y = F.dropout(x, p, training: true, generator: new Generator(9)).ToArray();
        var seeds = new Generator(9);
        uint threshold = (uint)(p * (1 << 24));
        var expected = new float[length];
        for (int start = 0; start < length; start += chunk)
        {
            var local = new Generator(seeds.NextUInt64());
            ulong bits = 0;
            for (int i = start; i < Math.Min(length, start + chunk); i++)
            {
                if ((i - start) % 2 == 0) bits = local.NextUInt64();
                uint uniform = (i - start) % 2 == 0 ? (uint)(bits >> 40) : (uint)((bits >> 16) & 0xFFFFFF);
                expected[i] = uniform >= threshold ? (i + 1) * (1 / (1 - p)) : 0;
            }
        }
        Assert.Equal(expected, y);
    }

    [Fact] public void Cat_stack_split() =>
        GradCheck(x => torch.cat([x[0], torch.split(x[1], 2, 1)[1], torch.stack([x[0], x[0]], 1).sum(1)], 1), Randn(35, 2, 3), Randn(36, 2, 5));

    [Fact] public void Pad() => GradCheck(x => F.pad(x[0], [1, 2, 0, 3], 0.5f).mul(F.pad(x[0], [1, 2, 0, 3])), Randn(37, 1, 2, 3, 3));

    [Fact] public void Interpolate() =>
        GradCheck(x => F.interpolate(x[0], (7, 5), "bilinear").sum(0).add(F.interpolate(x[0], (7, 5), "nearest").sum(0)), Randn(38, 2, 2, 4, 3));

    [Fact] public void Losses() =>
        GradCheck(x => F.binary_cross_entropy_with_logits(x[0], x[1].gt(0).@float(), torch.tensor([2f]))
            .add(F.mse_loss(x[0], x[1]))
            .add(F.soft_dice_loss(x[0].sigmoid(), x[1].gt(0).@float()))
            .add(F.soft_dice_loss(x[0].sigmoid(), x[1].gt(0).@float(), batch: false))
            .add(F.binary_cross_entropy(x[0].sigmoid(), x[1].gt(0).@float()))
            .add(F.cross_entropy(x[0].reshape(2, 3, 2), torch.tensor([0L, 2, 1, 1], [2, 2]))), Randn(39, 3, 4), Randn(40, 3, 4));
}
