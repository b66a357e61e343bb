using System.CommandLine;
using Ganymede.Backends;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede info`: which backend and native libraries this process uses.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the compute backend and the native libraries in use.");
        command.SetAction(result =>
        {
            GlobalOptions.Apply(result);
            Console.WriteLine($"ganymede {typeof(InfoCommand).Assembly.GetName().Version}");
            Console.WriteLine($"backend: {Backend.Describe()}");
            Console.WriteLine($"cores: {Environment.ProcessorCount}");
            return 0;
        });
        return command;
    }
}
