using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ganymede.Server.Jobs;

namespace Ganymede.Server.Sessions;

/// <summary>
/// interactive_tool_ganymede_notebook: Debian's Jupyter Notebook with the Ganymede C# kernel and Python 3, run as a
/// job (in its sandbox, with its limits) for as long as the user works in it. It listens on a Unix socket in its
/// work folder, which only the server can reach, behind the proxy (<see cref="NotebookProxy"/>) under the session's
/// entry path; its token is made here and never shown. When it stops (the page's Stop, or idle for the chosen time)
/// Jupyter exits cleanly and the job's completion stores its notebooks and its outputs/ as datasets.
/// </summary>
public sealed class NotebookTool : Tool
{
    public override string Id => "interactive_tool_ganymede_notebook";
    public override string Name => "Jupyter with C# and Python";
    public override string Description => "a notebook server next to your history's datasets";
    public override bool Interactive => true;

    /// <summary>The notebook server's socket and token, in the job's work folder and job folder.</summary>
    public const string Socket = "notebook.sock", TokenFile = "notebook-token";

    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("inputs", "data", "Datasets", Optional: true, Multiple: true, Help: "copied read-only into the session's inputs/ folder, under their names"),
        new("idle_minutes", "integer", "Stop when idle for (minutes)", Optional: true, Default: 60, Min: 1,
            Help: "no kernel busy and no page open for this long stops the session; its notebooks are saved to the history"),
    ];

    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("log", "txt", "Notebook server log", "$stdout")];

    public override IReadOnlyList<string[]> Commands(JobContext job)
    {
        // The chosen datasets under their own names, read-only, where notebooks expect them (inputs/covid.h5).
        var inputs = Path.Combine(job.WorkDirectory, "inputs");
        if (job.Inputs.TryGetValue("inputs", out var staged))
            foreach (var input in staged)
            {
                var target = Path.Combine(inputs, JobManager.SafeFileName(input.Name, input.Extension));
                if (File.Exists(target)) continue; // two datasets of one name: the first keeps it
                File.Move(Path.Combine(job.WorkDirectory, input.Path), target);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
        Directory.CreateDirectory(job.OutputDirectory);
        var kernel = Path.Combine(job.WorkDirectory, ".jupyter", "data", "kernels", "ganymede");
        Directory.CreateDirectory(kernel);
        File.WriteAllText(Path.Combine(kernel, "kernel.json"), new JsonObject
        {
            ["argv"] = new JsonArray([.. job.Ganymede.Select(a => (JsonNode)a), "kernel", "run", "{connection_file}"]),
            ["display_name"] = "C# (Ganymede)", ["language"] = "csharp", ["interrupt_mode"] = "message",
        }.ToJsonString());
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(Path.Combine(job.Directory, TokenFile), token);
        string idle = (long.Parse(job.Parameter("idle_minutes", "60"), CultureInfo.InvariantCulture) * 60).ToString(CultureInfo.InvariantCulture);
        const string home = Sandbox.WorkDirectory;
        return
        [
            ["env", $"HOME={home}", $"JUPYTER_CONFIG_DIR={home}/.jupyter/config", $"JUPYTER_DATA_DIR={home}/.jupyter/data", $"JUPYTER_RUNTIME_DIR={home}/.jupyter/runtime",
             $"IPYTHONDIR={home}/.jupyter/ipython", $"JUPYTER_TOKEN={token}",
             "/usr/bin/python3", "-m", "notebook", "--no-browser", $"--sock={home}/{Socket}", "--sock-mode=0600", $"--NotebookApp.notebook_dir={home}",
             $"--NotebookApp.base_url={job.EntryPath}",
             // The proxy checks who may come in and where a WebSocket comes from; behind it, Jupyter sees one client.
             "--NotebookApp.allow_origin=*", "--NotebookApp.allow_remote_access=True",
             $"--NotebookApp.shutdown_no_activity_timeout={idle}", $"--MappingKernelManager.cull_idle_timeout={idle}", "--MappingKernelManager.cull_interval=30",
             "--MappingKernelManager.cull_connected=False"],
        ];
    }

    /// <summary>The session's notebooks (in its folder, not below) and whatever it left in outputs/.</summary>
    public override IEnumerable<DiscoveredOutput> Discover(JobContext job)
    {
        foreach (var file in Directory.EnumerateFiles(job.WorkDirectory, "*.ipynb").Order(StringComparer.Ordinal))
            yield return new DiscoveredOutput("notebook_" + Path.GetFileNameWithoutExtension(file), file, Path.GetFileName(file));
        if (Directory.Exists(job.OutputDirectory))
            foreach (var file in Directory.EnumerateFileSystemEntries(job.OutputDirectory).Order(StringComparer.Ordinal))
                yield return new DiscoveredOutput("output_" + Path.GetFileName(file), file, Path.GetFileName(file));
    }
}
