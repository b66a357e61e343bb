using System.CommandLine;

namespace Ganymede.Cli;

/// <summary>How commands end: 0 on success; on bad input a one-line error naming what was wrong, and exit code 1.</summary>
internal static class Cli
{
    /// <summary>The first parse error and the command's usage (its required options), each on one line; exit code 1.</summary>
    public static int Usage(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var path = new List<string>();
        for (var c = parsed.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult) path.Insert(0, c.Command.Name);
        path[0] = "ganymede";
        var required = command.Options.Where(o => o.Required).Select(o => $"{o.Name} {o.Name.TrimStart('-').ToUpperInvariant()}");
        Console.Error.WriteLine($"error: {parsed.Errors[0].Message}");
        Console.Error.WriteLine($"usage: {string.Join(' ', path.Concat(required))} [options]   ({string.Join(' ', path)} --help lists them)");
        return 1;
    }

    public static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or KeyNotFoundException or UnauthorizedAccessException or DllNotFoundException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
