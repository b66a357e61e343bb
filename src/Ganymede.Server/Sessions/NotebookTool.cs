using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;

namespace Ganymede.Server.Sessions;

/// <summary>
/// interactive_tool_ganymede_notebook: Debian's Jupyter Notebook with the Ganymede C# kernel and Python 3, run as a
/// job (in its sandbox, with its limits) for as long as the user works in it. It listens on a Unix socket in its
/// work folder, which only the server can reach, behind the proxy (<see cref="NotebookProxy"/>) under the session's
/// entry path; its token is made here and never shown. A session starts with the examples' notebooks, reaches the
/// server's API as its owner with a key of its own (History.Get/Put in C#, get/put and BioBlend in Python), and when it
/// stops (the page's Stop, or idle: <see cref="SessionMonitor"/>) Jupyter exits cleanly and the job's completion
/// stores its new and changed notebooks and its outputs/ as datasets.
/// </summary>
public sealed class NotebookTool : Tool
{
    public override string Id => "interactive_tool_ganymede_notebook";
    public override string Name => "Jupyter with C# and Python";
    public override string Description => "a notebook server next to your history's datasets";
    public override bool Interactive => true;
    /// <summary>Notebooks send datasets and jobs to the server (History.Put, get/put, BioBlend, remote training).</summary>
    public override bool UsesApi => true;

    /// <summary>
    /// In the job's work folder: the notebook server's socket. In the job folder, out of the session's reach: Jupyter's
    /// token (never shown), the token a remote front end uses, and the starter notebooks' hashes as copied in.
    /// </summary>
    public const string Socket = "notebook.sock", TokenFile = "notebook-token", AccessTokenFile = "access-token", StartersFile = "starters.json";

    /// <summary>Where Ganymede's own files for the session go in its folder: hidden, and never saved as datasets.</summary>
    private const string Settings = ".jupyter";

    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("inputs", "data", "Datasets", Optional: true, Multiple: true, Help: "copied read-only into the session's inputs/ folder, under their names"),
        new("idle_minutes", "float", "Stop when idle for (minutes)", Optional: true, Default: 60, Min: 0.1,
            Help: "no cell running and no page open for this long stops the session; its notebooks are saved to the history"),
    ];

    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("log", "txt", "Notebook server log", "$stdout")];

    /// <summary>How long the session may sit idle before <see cref="SessionMonitor"/> stops it (its parameters, as stored).</summary>
    public static TimeSpan IdleTimeout(string parameters) =>
        TimeSpan.FromMinutes(JsonNode.Parse(parameters)?["idle_minutes"] is { } m && double.TryParse(m.ToString(), CultureInfo.InvariantCulture, out var minutes) ? minutes : 60);

    public override IReadOnlyList<string[]> Commands(JobContext job)
    {
        PlaceInputs(job);
        CopyStarters(job);
        Directory.CreateDirectory(job.OutputDirectory);
        var settings = Path.Combine(job.WorkDirectory, Settings);
        var kernel = Path.Combine(settings, "data", "kernels", "ganymede");
        Directory.CreateDirectory(kernel);
        File.WriteAllText(Path.Combine(kernel, "kernel.json"), new JsonObject
        {
            ["argv"] = new JsonArray([.. job.Ganymede.Select(a => (JsonNode)a), "kernel", "run", "{connection_file}"]),
            ["display_name"] = "C# (Ganymede)", ["language"] = "csharp", ["interrupt_mode"] = "message",
        }.ToJsonString());
        var python = Path.Combine(settings, "python");
        Directory.CreateDirectory(python);
        File.WriteAllText(Path.Combine(python, "session_launcher.py"), Resource("python.session_launcher.py"));
        File.WriteAllText(Path.Combine(python, "galaxy_ie_helpers.py"), Resource("python.galaxy_ie_helpers.py"));
        // Every Python notebook has get and put at hand, as in the original system's Jupyter.
        var startup = Path.Combine(settings, "ipython", "profile_default", "startup");
        Directory.CreateDirectory(startup);
        File.WriteAllText(Path.Combine(startup, "00-galaxy-ie-helpers.py"), "from galaxy_ie_helpers import get, put\n");
        var token = NewToken();
        File.WriteAllText(Path.Combine(job.Directory, TokenFile), token);
        File.WriteAllText(Path.Combine(job.Directory, AccessTokenFile), NewToken());
        const string home = Sandbox.WorkDirectory;
        return
        [
            ["env", $"HOME={home}", $"JUPYTER_CONFIG_DIR={home}/{Settings}/config", $"JUPYTER_DATA_DIR={home}/{Settings}/data",
             $"JUPYTER_RUNTIME_DIR={home}/{Settings}/runtime", $"IPYTHONDIR={home}/{Settings}/ipython", $"PYTHONPATH={home}/{Settings}/python",
             $"GANYMEDE_INPUTS={home}/inputs", $"JUPYTER_TOKEN={token}",
             "/usr/bin/python3", $"{home}/{Settings}/python/session_launcher.py",
             "--no-browser", $"--sock={home}/{Socket}", "--sock-mode=0600", $"--NotebookApp.notebook_dir={home}",
             $"--NotebookApp.base_url={job.EntryPath}",
             // The proxy checks who may come in and where a WebSocket comes from; behind it, Jupyter sees one client.
             "--NotebookApp.allow_origin=*", "--NotebookApp.allow_remote_access=True"],
        ];
    }

    /// <summary>The session's notebooks, new or changed (not the starters as they came), and whatever it left in outputs/.</summary>
    public override IEnumerable<DiscoveredOutput> Discover(JobContext job)
    {
        var starters = File.Exists(Path.Combine(job.Directory, StartersFile))
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(job.Directory, StartersFile)))!
            : [];
        foreach (var file in Notebooks(job.WorkDirectory))
        {
            var relative = Path.GetRelativePath(job.WorkDirectory, file);
            // Only a regular file can be a starter as it came (a link or a pipe in its place is stored, or refused, as any file).
            if (starters.TryGetValue(relative, out var hash) && Ganymede.Formats.UntrustedFiles.IsRegular(file) && hash == Hash(file)) continue;
            yield return new DiscoveredOutput("notebook_" + relative.Replace('/', '_'), file, relative);
        }
        if (Directory.Exists(job.OutputDirectory))
            foreach (var file in Directory.EnumerateFileSystemEntries(job.OutputDirectory).Order(StringComparer.Ordinal))
                yield return new DiscoveredOutput("output_" + Path.GetFileName(file), file, Path.GetFileName(file));
    }

    /// <summary>
    /// Every notebook of the session's folder and below, but not in inputs/, outputs/ or hidden folders (checkpoints,
    /// settings). Links to folders are not followed (one could lead to another user's files); a link named like a
    /// notebook is listed, so that its refusal is reported.
    /// </summary>
    private static IEnumerable<string> Notebooks(string work)
    {
        var folders = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.ReparsePoint };
        var files = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden };
        var found = new List<string>();
        var pending = new Stack<string>([work]);
        while (pending.TryPop(out var folder))
        {
            found.AddRange(Directory.EnumerateFiles(folder, "*.ipynb", files));
            foreach (var sub in Directory.EnumerateDirectories(folder, "*", folders))
                if (folder != work || Path.GetFileName(sub) is not ("inputs" or "outputs")) pending.Push(sub);
        }
        return found.Order(StringComparer.Ordinal);
    }

    /// <summary>The chosen datasets under their own names, read-only, where notebooks expect them (inputs/covid.h5).</summary>
    private static void PlaceInputs(JobContext job)
    {
        var inputs = Path.Combine(job.WorkDirectory, "inputs");
        Directory.CreateDirectory(inputs);
        if (!job.Inputs.TryGetValue("inputs", out var staged)) return;
        foreach (var input in staged)
        {
            var target = Path.Combine(inputs, JobManager.SafeFileName(input.Name, input.Extension));
            if (Path.Exists(target)) continue; // two datasets of one name: the first keeps it
            File.Move(Path.Combine(job.WorkDirectory, input.Path), target);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        // Where the job's preparation staged them (inputs/inputs/0/...), now empty.
        if (Directory.Exists(Path.Combine(inputs, "inputs"))) Directory.Delete(Path.Combine(inputs, "inputs"), recursive: true);
    }

    /// <summary>
    /// The starter notebooks (examples/session at the top, the COVID-19 use case in examples/), with their hashes kept
    /// so that the stop saves only those the user changed.
    /// </summary>
    private static void CopyStarters(JobContext job)
    {
        var hashes = new Dictionary<string, string>();
        var assembly = typeof(NotebookTool).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(StarterPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var relative = name[StarterPrefix.Length..];
            var target = Path.Combine(job.WorkDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using (var source = assembly.GetManifestResourceStream(name)!)
            using (var file = File.Create(target))
                source.CopyTo(file);
            hashes[relative] = Hash(target);
        }
        File.WriteAllText(Path.Combine(job.Directory, StartersFile), JsonSerializer.Serialize(hashes));
    }

    /// <summary>Starter notebooks are resources named by their path in the session ("starters/examples/1_data.ipynb").</summary>
    private const string StarterPrefix = "starters/";

    private static string Resource(string name)
    {
        using var stream = typeof(NotebookTool).Assembly.GetManifestResourceStream("Ganymede.Server.Sessions." + name)!;
        return new StreamReader(stream).ReadToEnd();
    }

    private static string Hash(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
