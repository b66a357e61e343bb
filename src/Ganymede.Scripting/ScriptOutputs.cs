using System.IO.Compression;
using Ganymede.Formats.Hdf5;
using Ganymede.NN;
using Microsoft.CodeAnalysis.Scripting;

namespace Ganymede.Scripting;

/// <summary>
/// What the original run_jupyter_job kept of a finished script, made deliberate: its model variables as ONNX,
/// its arrays and numbers in one H5 file under their variable names, and its working folder as a zip.
/// </summary>
public static class ScriptOutputs
{
    /// <summary>Writes every model (with a known input shape), array and scalar among <paramref name="variables"/>; returns one line per decision for the log.</summary>
    public static IReadOnlyList<string> Save(IEnumerable<ScriptVariable> variables, ScriptGlobals globals, string arraysPath)
    {
        var log = new List<string>();
        var latest = variables.Where(v => !v.Name.StartsWith('<')).GroupBy(v => v.Name).Select(g => g.Last()).ToList();
        var inputShape = latest.FirstOrDefault(v => v.Name == "InputShape")?.Value as int[];
        foreach (var v in latest.Where(v => v.Value is Module))
        {
            var saved = Path.Combine(globals.ModelDirectory, $"onnx_model_{v.Name}.onnx");
            if (File.Exists(saved)) continue;
            if (inputShape is null)
            {
                log.Add($"model '{v.Name}' not exported: define int[] InputShape = [channels, height, width], or call SaveModel({v.Name}, \"{v.Name}\", channels, height, width)");
                continue;
            }
            globals.SaveModel((Module)v.Value!, v.Name, inputShape);
            log.Add($"model '{v.Name}' exported to {saved}");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(arraysPath))!);
        using var file = H5File.Create(arraysPath);
        foreach (var v in latest)
        {
            switch (v.Value)
            {
                case Tensor t: file.CreateDataset(v.Name, t.detach().contiguous()).Dispose(); break;
                case float[] a: file.CreateDataset<float>(v.Name, a, [a.Length]).Dispose(); break;
                case double[] a: file.CreateDataset<double>(v.Name, a, [a.Length]).Dispose(); break;
                case int[] a: file.CreateDataset<int>(v.Name, a, [a.Length]).Dispose(); break;
                case long[] a: file.CreateDataset<long>(v.Name, a, [a.Length]).Dispose(); break;
                case List<float> a: file.CreateDataset<float>(v.Name, a.ToArray(), [a.Count]).Dispose(); break;
                case List<double> a: file.CreateDataset<double>(v.Name, a.ToArray(), [a.Count]).Dispose(); break;
                case float f: file.CreateDataset<float>(v.Name, [f], []).Dispose(); break;
                case double d: file.CreateDataset<double>(v.Name, [d], []).Dispose(); break;
                case int i: file.CreateDataset<long>(v.Name, [i], []).Dispose(); break;
                case long l: file.CreateDataset<long>(v.Name, [l], []).Dispose(); break;
                case string s: file.SetAttribute(v.Name, s); break;
                default: continue;
            }
            log.Add($"saved '{v.Name}' to {Path.GetFileName(arraysPath)}");
        }
        file.Commit();
        return log;
    }

    /// <summary>
    /// The working folder, recursively, without the outputs folder, the files in <paramref name="inputs"/> (the script
    /// and the datasets it was given), and anything not a regular file (links, pipes: reading a pipe would block).
    /// </summary>
    public static void ZipWorkingDirectory(string directory, string zipPath, IEnumerable<string> inputs)
    {
        var root = Path.GetFullPath(directory);
        var skip = inputs.Select(Path.GetFullPath).ToHashSet();
        var outputs = Path.GetDirectoryName(Path.GetFullPath(zipPath))!;
        var temporary = Ganymede.IO.AtomicFile.TemporaryFor(zipPath);
        using (var zip = ZipFile.Open(temporary, ZipArchiveMode.Create))
            foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                if (file.StartsWith(outputs + "/", StringComparison.Ordinal) || skip.Contains(file) || !Ganymede.Formats.UntrustedFiles.IsRegular(file)) continue;
                zip.CreateEntryFromFile(file, Path.GetRelativePath(root, file), CompressionLevel.Fastest);
            }
        File.Move(temporary, zipPath, overwrite: true);
    }
}
