using Ganymede.Autograd;

namespace Ganymede.Tensors.Tests;

/// <summary>
/// Grad mode, dispose scopes and backends belong to the flow of execution that set them: they follow its awaits
/// onto other threads and never leak onto threads that other code runs on.
/// </summary>
public class AmbientStateTests
{
    [Fact]
    public async Task No_grad_follows_its_awaits_and_ends_where_it_was_opened()
    {
        var w = torch.tensor([1f, 2], requires_grad: true);
        using (torch.no_grad())
        {
            await Task.Yield(); // resumes on a pool thread
            Assert.False(GradMode.IsEnabled);
            Assert.False(w.mul(w).requires_grad);
        }
        Assert.True(GradMode.IsEnabled);
        Assert.True(w.mul(w).requires_grad);
        // Every pool thread the block ran on records again.
        var enabled = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => GradMode.IsEnabled)));
        Assert.All(enabled, Assert.True);
    }

    [Fact]
    public void Work_started_elsewhere_is_not_under_this_flows_no_grad()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool? seenByOther = null;
        var other = new Thread(() =>
        {
            started.Set();
            release.Wait();
            seenByOther = GradMode.IsEnabled;
        });
        other.Start();
        started.Wait();
        using (torch.no_grad())
        {
            release.Set();
            other.Join();
        }
        Assert.True(seenByOther);
    }

    [Fact]
    public async Task A_dispose_scope_collects_the_tensors_its_awaits_create()
    {
        Tensor made;
        using (torch.NewDisposeScope())
        {
            made = await Task.Run(() => torch.ones(3));
            Assert.Equal(3, made.numel());
        }
        Assert.Throws<ObjectDisposedException>(() => made.ToArray());
        var outside = await Task.Run(() => torch.ones(3));
        Assert.Equal([1f, 1, 1], outside.ToArray());
    }
}
