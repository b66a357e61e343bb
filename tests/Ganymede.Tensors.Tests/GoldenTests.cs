using Ganymede.Backends;
using static Ganymede.Tests.TestUtil;

namespace Ganymede.Tensors.Tests;

/// <summary>Forward values and gradients against PyTorch's (tests/fixtures/golden.json, from make_golden.py), on both backends.</summary>
public class GoldenTests
{
    private static readonly Dictionary<string, Func<Dictionary<string, Tensor>, Tensor>> Cases = new()
    {
        ["conv2d"] = i => F.conv2d(i["x"], i["w"], i["b"], stride: 2, padding: 1, dilation: 1, groups: 2),
        ["conv2d_dilated"] = i => F.conv2d(i["x"], i["w"], null, stride: 1, padding: 2, dilation: 2),
        ["conv_transpose2d"] = i => F.conv_transpose2d(i["x"], i["w"], i["b"], stride: 2, padding: 1, output_padding: 1),
        ["conv_transpose2d_2x2"] = i => F.conv_transpose2d(i["x"], i["w"], i["b"], stride: 2),
        ["batch_norm_train"] = i => F.batch_norm(i["x"], torch.zeros(4), torch.ones(4), i["g"], i["b"], training: true),
        ["batch_norm_eval"] = i => F.batch_norm(i["x"], torch.full([4], 0.3f), torch.full([4], 2f), i["g"], i["b"]),
        ["max_pool2d"] = i => F.max_pool2d(i["x"], 3, 2, 1),
        ["max_pool2d_ceil"] = i => F.max_pool2d(i["x"], 2, ceil_mode: true),
        ["avg_pool2d"] = i => F.avg_pool2d(i["x"], 3, 2, 1),
        ["interpolate_bilinear"] = i => F.interpolate(i["x"], (9, 4), "bilinear"),
        ["interpolate_bilinear_aligned"] = i => F.interpolate(i["x"], (7, 11), "bilinear", align_corners: true),
        ["interpolate_nearest"] = i => F.interpolate(i["x"], (8, 13), "nearest"),
        ["bce_with_logits"] = i => F.binary_cross_entropy_with_logits(i["x"], i["y"]).reshape(1),
        ["bce_with_logits_pos_weight"] = i => F.binary_cross_entropy_with_logits(i["x"], i["y"], torch.tensor([3f])).reshape(1),
        ["bce"] = i => F.binary_cross_entropy(i["p"], i["y"]).reshape(1),
        ["mse"] = i => F.mse_loss(i["x"], i["y"]).reshape(1),
        ["cross_entropy"] = i => F.cross_entropy(i["x"], i["y"].to(DType.Int64)).reshape(1),
        ["soft_dice"] = i => F.soft_dice_loss(i["x"].sigmoid(), i["y"]).reshape(1),
        ["softmax"] = i => F.softmax(i["x"], 1),
        ["log_softmax"] = i => F.log_softmax(i["x"], 0),
    };

    public static TheoryData<string, string> All()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Cases.Keys)
            foreach (var backend in new[] { "native", "reference" }) data.Add(name, backend);
        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Matches_pytorch(string name, string backend)
    {
        using var _ = Backend.With(Backend.Create(backend));
        var golden = Golden(name);
        var inputs = new Dictionary<string, Tensor>();
        foreach (var property in golden.GetProperty("inputs").EnumerateObject())
        {
            var t = ToTensor(property.Value);
            if (name != "cross_entropy" || property.Name == "x") t.requires_grad = true;
            inputs[property.Name] = t;
        }
        var output = Cases[name](inputs);
        AssertClose(ToTensor(golden.GetProperty("output")), output, 1e-4f, 1e-4f, name);
        output.mul(ToTensor(golden.GetProperty("out_weight"))).sum().backward();
        foreach (var grad in golden.GetProperty("grads").EnumerateObject())
            AssertClose(ToTensor(grad.Value), inputs[grad.Name].grad!, 1e-4f, 1e-3f, $"{name} d/d{grad.Name}");
    }

    /// <summary>The cases tested elsewhere: the UNet's training step (Ganymede.NN.Tests.UNetTests).</summary>
    private static readonly string[] TestedElsewhere = ["unet_training"];

    [Fact]
    public void Every_golden_case_is_tested()
    {
        var fixture = GoldenCaseNames();
        Assert.Equal(fixture.Order(StringComparer.Ordinal), Cases.Keys.Concat(TestedElsewhere).Order(StringComparer.Ordinal));
    }
}
