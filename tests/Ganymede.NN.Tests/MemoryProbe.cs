using Ganymede.NN.Optim;

namespace Ganymede.NN.Tests;

/// <summary>
/// This test assembly's entry point: `dotnet exec Ganymede.NN.Tests.dll memory-probe` trains a small UNet for 1,000
/// steps and prints the managed bytes alive after 100 steps and after all of them. The test runner never calls it.
/// </summary>
public static class MemoryProbe
{
    public const string Name = "memory-probe";

    public static int Main(string[] args)
    {
        if (args is not [Name]) return 2;
        using var model = new UNet(1, 1, 4, 2);
        var x = torch.randn(2, 1, 16, 16).DetachFromDisposeScope();
        var y = torch.rand(2, 1, 16, 16).gt(0.5f).@float().DetachFromDisposeScope();
        var optimizer = new Adam(model.parameters());
        long Step(int count)
        {
            for (int i = 0; i < count; i++)
                using (torch.NewDisposeScope())
                {
                    optimizer.zero_grad();
                    F.binary_cross_entropy_with_logits(model.forward(x), y).backward();
                    optimizer.step();
                }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return GC.GetTotalMemory(true);
        }
        long after100 = Step(100);
        long after1000 = Step(900);
        Console.WriteLine($"{after100} {after1000}");
        return 0;
    }
}
