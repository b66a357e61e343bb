using Ganymede.Tests;
using System.Diagnostics;

namespace Ganymede.Tests;

/// <summary>Runs Debian's Python (/usr/bin/python3, which sees python3-torch, h5py, nibabel, onnx, ...) for checks against real peers.</summary>
public static class Peers
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

/// <summary>Finds ../shared beside the repository: real data and reference code are read from there, never copied in.</summary>
public static class SharedData
{
    /// <summary>A file of ../shared/data/covid-semiseg.</summary>
    public static string CovidSemiSeg(string file) => Find(Path.Combine("shared", "data", "covid-semiseg", file));

    /// <summary>A file of ../shared/reference.</summary>
    public static string Reference(string file) => Find(Path.Combine("shared", "reference", file));

    private static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relative} was not found above {AppContext.BaseDirectory}: the tests read the real CT slices from " +
            "../shared/data/covid-semiseg beside the repository; get them with `./ganymede data fetch covid-semiseg --source MIRROR " +
            "--out ../shared/data/covid-semiseg` (the files and their checksums: docs/use-case.md)", relative);
    }
}

/// <summary>A fresh temporary folder per test, deleted afterwards.</summary>
public abstract class TempDirectoryTest : IDisposable
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("ganymede-test-").FullName;

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>Files of this repository (its examples, the tests' fixtures), found above the test's binaries.</summary>
public static class RepositoryFiles
{
    public static string Example(string relative) => Find("examples/" + relative);

    public static string Fixture(string relative) => Find("tests/fixtures/" + relative);

    private static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Path.Combine(dir.FullName, relative) is var candidate && File.Exists(candidate)) return candidate;
        throw new FileNotFoundException($"{relative} was not found above {AppContext.BaseDirectory}", relative);
    }
}
