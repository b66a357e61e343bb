using Ganymede.Server.Services;

namespace Ganymede.Server.Tests;

/// <summary>The dashboard's reading of nvidia-smi's CSV, figures it cannot read included.</summary>
public sealed class SystemMonitorTests
{
    [Fact]
    public void Gpus_are_read_from_nvidia_smi_csv()
    {
        var gpus = SystemMonitor.ParseGpus("0, NVIDIA H200, 37, 1024, 143771\n1, NVIDIA H200, [N/A], 0, 143771\n");
        Assert.Equal([new GpuUse(0, "NVIDIA H200", 37, 1024, 143771), new GpuUse(1, "NVIDIA H200", 0, 0, 143771)], gpus);
        Assert.Empty(SystemMonitor.ParseGpus(""));
    }
}
