using Ganymede.Ops;

namespace Ganymede.Tensors.Tests;

/// <summary>In-place changes: version counters as PyTorch keeps them, refusals autograd needs, and no stale blocked copies.</summary>
public class InPlaceTests
{
    [Fact]
    public void Changing_a_tensor_that_backward_reads_is_refused_with_pytorchs_error()
    {
        var w = torch.tensor([1f, 2, 3], requires_grad: true);
        var x = torch.tensor([4f, 5, 6]);
        var y = w.mul(x).sum();
        Assert.Equal(0, x._version);
        x.mul_(2);
        Assert.Equal(1, x._version);
        var error = Assert.Throws<InvalidOperationException>(() => y.backward());
        Assert.Equal("one of the variables needed for gradient computation has been modified by an inplace operation: [float32 [3]], " +
            "which is input 1 of mul, is at version 1; expected version 0 instead", error.Message);
        // A view shares the counter of the memory it views.
        var z = torch.zeros(4);
        z.narrow(0, 1, 2).fill_(1);
        Assert.Equal(1, z._version);
    }

    [Fact]
    public void In_place_changes_to_tensors_autograd_tracks_are_refused_outside_no_grad()
    {
        var w = torch.tensor([1f, 2], requires_grad: true);
        foreach (var change in new Action[] { () => w.mul_(2), () => w.fill_(0), () => w.add_(torch.ones(2)), () => w.copy_(torch.ones(2)) })
            Assert.Contains("a leaf tensor that requires grad is being used in an in-place operation", Assert.Throws<InvalidOperationException>(change).Message);
        var s = w.sigmoid();
        Assert.Contains("in-place operations are not recorded", Assert.Throws<InvalidOperationException>(() => s.mul_(2)).Message);
        using (torch.no_grad()) w.mul_(2);
        Assert.Equal([2f, 4], w.ToArray());
    }

    [Fact]
    public void Fill_and_mul_work_on_strided_views()
    {
        var m = torch.zeros(2, 3);
        m.narrow(1, 1, 1).fill_(5);
        m.narrow(1, 1, 2).mul_(3);
        Assert.Equal([0f, 15, 0, 0, 15, 0], m.ToArray());
    }

    [Fact]
    public void Writing_through_a_view_leaves_no_stale_blocked_copy_of_the_base()
    {
        var x = torch.zeros(1, 16, 2, 2);
        _ = x.Blocked; // as a blocked-layout operation would have made it
        Assert.True(x.HasBlocked);
        x.narrow(1, 3, 1).fill_(7);
        Assert.False(x.HasBlocked);
        var plain = new float[64];
        BlockedLayout.ToPlain(x.Blocked, [1, 16, 2, 2], plain);
        Assert.Equal(x.ToArray(), plain);
        Assert.Equal(28f, x.add(x).sum().item() / 2, 4);
    }
}
