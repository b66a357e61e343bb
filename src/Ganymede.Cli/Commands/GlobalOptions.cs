using System.CommandLine;
using Ganymede.Backends;

namespace Ganymede.Cli.Commands;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Backend = new("--backend")
    {
        Description = "Compute backend: native (oneDNN + OpenBLAS, the default) or reference (managed, slow). Also GANYMEDE_BACKEND.",
        Recursive = true,
    };

    /// <summary>Applies --backend, if given, before a command touches a tensor.</summary>
    public static void Apply(ParseResult result)
    {
        var name = result.GetValue(Backend);
        if (name is not null) Ganymede.Backends.Backend.Use(name);
    }
}
