using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Ganymede.Scripting;

/// <summary>
/// Runs C# code with Ganymede's engine, formats, ONNX and segmentation already referenced and imported, keeping
/// variables from one piece of code to the next (a script is one piece; a notebook kernel sends one per cell).
/// </summary>
public sealed class ScriptSession(ScriptGlobals globals)
{
    public static readonly string[] Imports =
    [
        "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks",
        "Ganymede", "Ganymede.NN", "Ganymede.NN.Optim", "Ganymede.Formats.Hdf5", "Ganymede.Formats.Nifti", "Ganymede.Formats.Png",
        "Ganymede.Formats.SafeTensors", "Ganymede.Onnx", "Ganymede.Onnx.Runtime", "Ganymede.Segmentation", "Ganymede.Client",
    ];

    private static readonly Assembly[] References =
    [
        typeof(Tensor).Assembly, typeof(NN.Module).Assembly, typeof(Formats.Hdf5.H5File).Assembly, typeof(Onnx.OnnxExporter).Assembly,
        typeof(Segmentation.Trainer).Assembly, typeof(Client.GanymedeClient).Assembly, typeof(ScriptGlobals).Assembly, typeof(System.Text.Json.JsonSerializer).Assembly,
    ];

    private ScriptState<object?>? _state;

    public ScriptGlobals Globals => globals;

    /// <summary>Options for code run in a session; a host may add references (the kernel adds its client and display helpers).</summary>
    public ScriptOptions Options { get; set; } = ScriptOptions.Default
        .WithReferences(References)
        .WithImports(Imports)
        .WithEmitDebugInformation(true)
        .WithFileEncoding(System.Text.Encoding.UTF8)
        .WithOptimizationLevel(OptimizationLevel.Release)
        .WithAllowUnsafe(false);

    public IEnumerable<ScriptVariable> Variables => _state?.Variables ?? Enumerable.Empty<ScriptVariable>();

    /// <summary>Compiles and runs <paramref name="code"/> after everything run before; returns the value of its last expression, if any.</summary>
    /// <exception cref="CompilationErrorException">the code does not compile (its diagnostics name file, line and column).</exception>
    public async Task<object?> RunAsync(string code, CancellationToken cancel = default)
    {
        _state = _state is null
            ? await CSharpScript.RunAsync<object?>(code, Options, globals, typeof(ScriptGlobals), cancel)
            : await _state.ContinueWithAsync<object?>(code, Options, cancel);
        return _state.ReturnValue;
    }

    /// <summary>A compile error as the user needs it: each diagnostic with its place ("train.ipynb cell 3(4,9): error CS0103: ...").</summary>
    public static string Describe(CompilationErrorException e) => string.Join("\n", e.Diagnostics.Select(d => d.ToString()));

    /// <summary>A runtime error with only the frames of the user's code (the host's frames say nothing to them).</summary>
    public static string Describe(Exception e)
    {
        var frames = (e.StackTrace ?? "").Split('\n').Where(l => l.Contains("Submission#", StringComparison.Ordinal) || l.Contains(" cell ", StringComparison.Ordinal) || l.Contains(".csx", StringComparison.Ordinal));
        return $"{e.GetType().Name}: {e.Message}" + string.Concat(frames.Select(f => "\n" + f.TrimEnd()));
    }
}
