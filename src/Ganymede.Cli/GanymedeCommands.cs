using System.CommandLine;
using Ganymede.Cli.Commands;

namespace Ganymede.Cli;

/// <summary>The `ganymede` command tree (built here so tests can run commands in-process).</summary>
public static class GanymedeCommands
{
    public static RootCommand Root()
    {
        var root = new RootCommand("Ganymede: train, run and serve segmentation models in .NET.");
        root.Options.Add(GlobalOptions.Backend);
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ScriptCommand.Create());
        root.Subcommands.Add(KernelCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ServeCommand.Users());
        root.Subcommands.Add(InspectCommand.Create());
        return root;
    }
}
