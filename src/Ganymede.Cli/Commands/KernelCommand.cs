using System.CommandLine;
using System.Text.Json.Nodes;
using Ganymede.Kernel;
using Ganymede.Kernel.Protocol;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede kernel install` (the kernelspec Jupyter front ends find) and `ganymede kernel run` (what they start).</summary>
internal static class KernelCommand
{
    public const string Name = "ganymede";

    public static Command Create()
    {
        var connection = new Argument<string>("connection-file") { Description = "the connection file Jupyter writes ({connection_file} in kernel.json)" };
        var run = new Command("run", "Run the C# kernel on the channels of a Jupyter connection file.") { connection };
        run.SetAction(result => Cli.Run(() =>
        {
            GlobalOptions.Apply(result);
            var log = Console.Error;
            using var host = new KernelHost(ConnectionInfo.Load(result.GetValue(connection)!), log);
            host.Run();
        }));

        var user = new Option<bool>("--user") { Description = "install for this user (~/.local/share/jupyter/kernels), the default" };
        var prefix = new Option<string?>("--prefix") { Description = "install under DIR/share/jupyter/kernels (as jupyter kernelspec install --prefix)" };
        var install = new Command("install", "Install the kernelspec \"C# (Ganymede)\" so Jupyter front ends offer it.") { user, prefix };
        install.SetAction(result => Cli.Run(() =>
        {
            var root = result.GetValue(prefix) is { } p
                ? Path.Combine(Path.GetFullPath(p), "share", "jupyter", "kernels")
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "jupyter", "kernels");
            var directory = Path.Combine(root, Name);
            Directory.CreateDirectory(directory);
            var program = typeof(KernelCommand).Assembly.Location;
            var spec = new JsonObject
            {
                ["argv"] = new JsonArray("dotnet", program, "kernel", "run", "{connection_file}"),
                ["display_name"] = "C# (Ganymede)", ["language"] = "csharp",
                // Interrupts arrive as interrupt_request on the control channel: a kernel started from a background job
                // inherits SIGINT as ignored, and .NET then never sees the signal.
                ["interrupt_mode"] = "message",
                ["metadata"] = new JsonObject { ["debugger"] = false },
            };
            Ganymede.IO.AtomicFile.Write(Path.Combine(directory, "kernel.json"), s => s.Write(System.Text.Encoding.UTF8.GetBytes(spec.ToJsonString(new() { WriteIndented = true }))));
            Console.WriteLine($"installed kernelspec {Name} in {directory}");
        }));
        return new Command("kernel", "The C# Jupyter kernel.") { install, run };
    }
}
