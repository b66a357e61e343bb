namespace Ganymede.Tensors.Tests;

/// <summary>
/// The process-wide interruption (a notebook's interrupt button). Raising it stops every backward() in the process,
/// so these tests run alone: in parallel with the other classes, they cancelled those classes' backward passes.
/// </summary>
[Collection(nameof(InterruptionCollection))]
public class InterruptionTests
{
    [Fact]
    public void An_interruption_stops_backward_before_it_starts()
    {
        var w = torch.tensor([1f, 1, 1], requires_grad: true);
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();
        Interruption.Token = interrupt.Token;
        try
        {
            Assert.Throws<OperationCanceledException>(() => { w.mul(w).sum().backward(); });
            Assert.Null(w.grad);
        }
        finally
        {
            Interruption.Token = default;
        }
        w.mul(w).sum().backward();
        Assert.Equal([2f, 2, 2], w.grad!.ToArray());
    }
}

[CollectionDefinition(nameof(InterruptionCollection), DisableParallelization = true)]
public sealed class InterruptionCollection;
