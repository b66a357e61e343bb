using System.CommandLine;
using System.Text.Json.Nodes;
using Ganymede.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Ganymede.Cli.Commands;

/// <summary>
/// `ganymede script run`: runs a C# script or notebook with the engine loaded (what the server's
/// ganymede_run_script jobs run). With --outputs, saves its models, arrays and working folder as the original tool did.
/// </summary>
internal static class ScriptCommand
{
    public static Command Create()
    {
        var script = new Argument<string>("script") { Description = "a C# script (.csx) or notebook (.ipynb) whose C# code cells run in order" };
        var inputs = new Option<string[]>("--input") { Description = "NAME=PATH: an input the script reads with Input(\"NAME\") (repeatable)", AllowMultipleArgumentsPerToken = false };
        var parameters = new Option<string?>("--parameters") { Description = "a JSON file with an object of parameters (Parameter<T>(\"name\", fallback) in the script)" };
        var outputs = new Option<string?>("--outputs") { Description = "folder for arrays.h5 (the script's arrays and numbers) and workdir.zip; models go to model_outputs/" };
        var run = new Command("run", "Run a C# script or notebook with Ganymede loaded.") { script, inputs, parameters, outputs };
        run.SetAction(result =>
        {
            GlobalOptions.Apply(result);
            ScriptGlobals globals;
            try
            {
                globals = new ScriptGlobals
                {
                    Inputs = (result.GetValue(inputs) ?? []).Select(Pair).ToDictionary(p => p.Name, p => p.Path),
                    Parameters = result.GetValue(parameters) is { } p ? ReadParameters(p) : [],
                };
            }
            catch (Exception e) when (e is ArgumentException or IOException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            var session = new ScriptSession(globals);
            var path = result.GetValue(script)!;
            try
            {
                var code = ScriptSource.Load(path);
                session.Options = session.Options.WithFilePath(Path.GetFullPath(path));
                using var cancel = CtrlC.Token();
                var notes = new List<string>();
                var value = session.RunScriptAsync(code, notes, cancel.Token).GetAwaiter().GetResult();
                foreach (var note in notes) Console.WriteLine(note);
                if (value is not null) Console.WriteLine(value);
            }
            catch (CompilationErrorException e)
            {
                Console.Error.WriteLine($"error: {path} does not compile:\n{ScriptSession.Describe(e)}");
                return 1;
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"error: the script failed: {ScriptSession.Describe(e)}");
                return 1;
            }
            if (result.GetValue(outputs) is { } folder)
            {
                Directory.CreateDirectory(folder);
                foreach (var line in ScriptOutputs.Save(session.Variables, globals, Path.Combine(folder, "arrays.h5"))) Console.WriteLine(line);
                ScriptOutputs.ZipWorkingDirectory(".", Path.Combine(folder, "workdir.zip"), globals.Inputs.Values.Append(path));
            }
            return 0;
        });
        return new Command("script", "Run C# scripts and notebooks.") { run };
    }

    private static JsonObject ReadParameters(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ArgumentException($"--parameters {path}: expected a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ArgumentException($"--parameters {path}: not valid JSON ({e.Message})", e);
        }
    }

    private static (string Name, string Path) Pair(string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1) throw new ArgumentException($"--input {text}: expected NAME=PATH");
        return (text[..eq], text[(eq + 1)..]);
    }
}
