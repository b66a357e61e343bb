using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Services;

/// <summary>
/// Describes uploaded files and job outputs (<see cref="DatasetInspector"/>) in a sandboxed child process, never in the
/// server: `ganymede inspect` runs in bubblewrap as an unprivileged user with the file alone bound in, within a memory
/// limit (a control group of its own) and a time limit. A file that defeats inspection (it crashes the parser, loops,
/// or takes too much memory) is stored as plain data with the reason in its description, and the server carries on.
/// </summary>
public sealed class FileInspector(ServerOptions options, FileStore files, ILogger<FileInspector> log) : IDisposable
{
    public const long MemoryBytes = 1L << 30;
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(60);
    private const int MaxOutputChars = 1 << 20;
    /// <summary>The user inspections run as: below the jobs' range, shared by no job.</summary>
    private const int InspectionUid = Sandbox.FirstUid - 1;

    private readonly Lazy<IReadOnlyList<string>> _groups = new(() => MakeGroups(files.Root));

    public FileFacts Inspect(string path, string? name, string? requestedType, long size, string sha256)
    {
        string claimed = requestedType is { } t && DatasetInspector.Known.Contains(t) ? t : "data";
        string? failure;
        try
        {
            var (code, output, error) = RunChild(path, name ?? "", requestedType ?? "auto");
            if (code == 0 && JsonSerializer.Deserialize<InspectedFile>(output) is { } inspected)
                return new FileFacts(inspected.Extension, size, sha256, inspected.Peek, inspected.Metadata, inspected.Blurb);
            failure = code switch
            {
                137 => "it took more than the inspection's memory or time",
                _ => $"the inspection failed ({LastLine(error)})",
            };
        }
        catch (JsonException e)
        {
            failure = $"the inspection's answer was not readable ({e.Message})";
        }
        log.LogWarning("inspecting {Name} failed: {Reason}", name, failure);
        return new FileFacts(claimed, size, sha256, null, null, $"stored without a description: {failure}");
    }

    /// <summary>Removes the inspections' control groups when the server stops (the next start makes them again).</summary>
    public void Dispose()
    {
        if (!_groups.IsValueCreated) return;
        foreach (var group in _groups.Value)
        {
            try { Directory.Delete(group); }
            catch (IOException) { } // an inspection still running keeps it; the next start reuses it
        }
    }

    private (int Code, string Output, string Error) RunChild(string path, string name, string requestedType)
    {
        var programs = Sandbox.ProgramDirectoriesOf(options.GanymedeCommand);
        var args = Sandbox.SystemView(programs, 64L << 20);
        args.AddRange(["--perms", "0755", "--dir", "/input", "--ro-bind", path, "/input/file", "--chdir", "/tmp", "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "DOTNET_CLI_HOME", "/tmp", "--setenv", "LANG", "C.UTF-8",
            // Where there is no control group to hold the memory limit, the runtime holds its own heap to it.
            "--setenv", "DOTNET_GCHeapHardLimit", MemoryBytes.ToString("X", CultureInfo.InvariantCulture),
            // A short run: its loops start in quickly compiled code, as the runtime's default has it (the build turns that
            // off for the compute kernels of long trainings), so each upload and job output is described sooner.
            "--setenv", "DOTNET_TC_QuickJitForLoops", "1"]);
        args.AddRange(Sandbox.BecomeUser(InspectionUid));
        args.AddRange([.. options.GanymedeCommand, "inspect", "/input/file", "--name", name, "--type", requestedType]);
        // bash joins the control groups, then becomes bubblewrap: the child is inside its limits before it reads a byte.
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("for g in $GANYMEDE_GROUPS; do echo $$ > \"$g/cgroup.procs\"; done; exec \"$@\"");
        start.ArgumentList.Add("inspect");
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["GANYMEDE_GROUPS"] = string.Join(' ', _groups.Value);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the inspection");
        var output = ReadBounded(process.StandardOutput);
        var error = ReadBounded(process.StandardError);
        if (!process.WaitForExit(TimeLimit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (137, "", "");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private static async Task<string> ReadBounded(StreamReader reader)
    {
        var buffer = new char[MaxOutputChars];
        int total = 0, n;
        while (total < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(total))) > 0) total += n;
        // Anything past the bound is drained unread, so the child never blocks on a full pipe.
        var drain = new char[4096];
        while (await reader.ReadAsync(drain) > 0) { }
        return new string(buffer, 0, total);
    }

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "no message";

    /// <summary>
    /// One memory and one pids control group for every inspection of this server, below the server's own; none where
    /// the controllers are not writable (the runtime's heap limit then holds).
    /// </summary>
    private static IReadOnlyList<string> MakeGroups(string dataDirectory)
    {
        var made = new List<string>();
        string name = Sandbox.NameFor(dataDirectory, "inspect");
        foreach (var (controller, file, value) in new[] { ("memory", "memory.limit_in_bytes", MemoryBytes.ToString(CultureInfo.InvariantCulture)), ("pids", "pids.max", "256") })
        {
            try
            {
                var own = File.ReadLines("/proc/self/cgroup").Select(l => l.Split(':', 3)).FirstOrDefault(p => p.Length == 3 && p[1] == controller)?[2];
                if (own is null) continue;
                var dir = $"/sys/fs/cgroup/{controller}{own.TrimEnd('/')}/{name}";
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, file), value);
                made.Add(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return made;
    }

    /// <summary>What `ganymede inspect` prints: the file's type and description.</summary>
    public sealed record InspectedFile(string Extension, string? Peek, string? Metadata, string? Blurb);
}
