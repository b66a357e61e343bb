using Ganymede.Tests;
using Ganymede.Formats.Nifti;
using Ganymede.NN.Optim;

namespace Ganymede.NN.Tests;

/// <summary>A UNet must be able to memorise a handful of real CT slices: the end-to-end check of engine, layers and optimizer.</summary>
public class OverfitTests
{
    [Fact]
    public void UNet_overfits_real_ct_slices()
    {
        var images = NiftiImage.Load(SharedData.CovidSemiSeg("train_im.nii.gz")).Data;
        var masks = NiftiImage.Load(SharedData.CovidSemiSeg("train_mask.nii.gz")).Data;
        // The four slices with the most infection, at 64x64: images scaled to [0, 1], masks 1 where label > 0.
        var chosen = Enumerable.Range(0, masks.size(0)).OrderByDescending(k => masks.select(0, k).gt(0).@float().sum().item()).Take(4).ToArray();
        var x = F.interpolate(torch.stack(chosen.Select(k => images.select(0, k).unsqueeze(0)).ToList()), (64, 64), "bilinear").div(255f);
        var y = F.interpolate(torch.stack(chosen.Select(k => masks.select(0, k).gt(0).@float().unsqueeze(0)).ToList()), (64, 64), "nearest");
        Assert.True(y.sum().item() > 100, "the chosen slices must contain infection");

        // Its own generator: tests running alongside draw from the default one.
        using var model = new UNet(1, 1, baseWidth: 8, depth: 3, generator: new Generator(0));
        var optimizer = new Adam(model.parameters(), lr: 3e-3f);
        float first = 0, last = 0;
        for (int step = 0; step < 150; step++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.forward(x);
            var loss = F.binary_cross_entropy_with_logits(logits, y).add(F.soft_dice_loss(logits.sigmoid(), y));
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item();
            last = loss.item();
        }
        model.eval();
        using var _ = torch.no_grad();
        var predicted = model.forward(x).sigmoid().gt(0.5f).@float();
        float dice = 2 * predicted.mul(y).sum().item() / (predicted.sum().item() + y.sum().item());
        Assert.True(last < first * 0.3f, $"loss went from {first} to {last}");
        Assert.True(dice > 0.85f, $"Dice on the memorised slices is {dice}");
    }
}
