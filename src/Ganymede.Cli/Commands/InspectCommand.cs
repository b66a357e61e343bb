using System.CommandLine;
using System.Text.Json;
using Ganymede.Server.Services;

namespace Ganymede.Cli.Commands;

/// <summary>
/// `ganymede inspect FILE`: a file's type and description as a history shows them, as one line of JSON. The server runs
/// it in a sandbox for every upload and job output (FileInspector), so that no parser of untrusted bytes runs inside it.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "the file to describe" };
        var name = new Option<string>("--name") { Description = "its name (breaks ties between text types)", DefaultValueFactory = _ => "" };
        var type = new Option<string>("--type") { Description = "the type its owner claims, or auto", DefaultValueFactory = _ => "auto" };
        var command = new Command("inspect", "Describe a file as a history would (its type, peek and metadata), as JSON.") { file, name, type };
        command.SetAction(result => Cli.Run(() =>
        {
            var path = result.GetValue(file)!;
            var facts = DatasetInspector.Inspect(path, result.GetValue(name), result.GetValue(type), new FileInfo(path).Length, "");
            Console.WriteLine(JsonSerializer.Serialize(new FileInspector.InspectedFile(facts.Extension, facts.Peek, facts.Metadata, facts.Blurb)));
        }));
        return command;
    }
}
