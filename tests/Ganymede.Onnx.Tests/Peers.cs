using System.Diagnostics;

namespace Ganymede.Onnx.Tests;

/// <summary>Runs Debian's Python (/usr/bin/python3, which sees python3-onnx and python3-opencv) for interop checks.</summary>
internal static class Peers
{
    public static string Python(string code)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { "-c", code } };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "python failed: " + error);
        return output;
    }
}
