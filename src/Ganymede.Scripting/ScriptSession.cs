using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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
        "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks", "System.Text.Json.Nodes",
        "Ganymede", "Ganymede.NN", "Ganymede.NN.Optim", "Ganymede.Formats.Hdf5", "Ganymede.Formats.Nifti", "Ganymede.Formats.Png", "Ganymede.Formats.Datasets",
        "Ganymede.Formats.SafeTensors", "Ganymede.Onnx", "Ganymede.Onnx.Runtime", "Ganymede.Segmentation", "Ganymede.Client",
    ];

    private static readonly Assembly[] References =
    [
        typeof(Tensor).Assembly, typeof(NN.Module).Assembly, typeof(Formats.Hdf5.H5File).Assembly, typeof(Onnx.OnnxExporter).Assembly,
        typeof(Segmentation.Trainer).Assembly, typeof(Client.GanymedeClient).Assembly, typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly, typeof(ScriptGlobals).Assembly, typeof(System.Text.Json.JsonSerializer).Assembly,
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
            ? await CSharpScript.RunAsync<object?>(code, Options, globals, globals.GetType(), cancel)
            : await _state.ContinueWithAsync<object?>(code, Options, cancel);
        return _state.ReturnValue;
    }

    /// <summary>
    /// Runs a script, or a notebook with the globals' parameters set papermill's way: its cells through the one tagged
    /// "parameters", then the run's values (<see cref="NotebookParameters"/>), then the rest. Returns the last value.
    /// </summary>
    /// <param name="notes">what the user should know of how the values were set (a name C# cannot declare).</param>
    public async Task<object?> RunScriptAsync(ScriptSource.Code code, ICollection<string> notes, CancellationToken cancel = default)
    {
        if (!code.IsNotebook || globals.Parameters.Count == 0) return await RunAsync(code.All, cancel);
        if (code.Head.Length > 0) await RunAsync(code.Head, cancel);
        else notes.Add($"{code.Name} has no cell tagged 'parameters': the values are set before its first cell");
        await RunAsync(NotebookParameters.Code(code.Name, globals.Parameters, Variables, notes), cancel);
        return await RunAsync(code.Body, cancel);
    }

    /// <summary>
    /// Runs one notebook cell: compile errors leave the session as it was; a runtime exception keeps what the
    /// cell did before it threw (as a notebook user expects) and is returned, not thrown. Cancelling
    /// <paramref name="cancel"/> abandons the cell: whatever it does after that is not kept.
    /// </summary>
    public async Task<CellResult> RunCellAsync(string code, CancellationToken cancel = default)
    {
        var script = _state is null ? CSharpScript.Create<object?>(code, Options, globals.GetType()) : _state.Script.ContinueWith<object?>(code, Options);
        var errors = script.Compile(cancel).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) return new CellResult(null, false, null, errors);
        var before = _state;
        var state = before is null
            ? await script.RunAsync(globals, _ => true, CancellationToken.None)
            : await script.RunFromAsync(before, _ => true, CancellationToken.None);
        // A cell the host gave up on (it would not stop) must not overwrite what later cells did.
        if (cancel.IsCancellationRequested || _state != before) return new CellResult(null, false, new OperationCanceledException("the cell was abandoned"), []);
        _state = state;
        return new CellResult(state.ReturnValue, state.Exception is null && EndsWithExpression(code), state.Exception, []);
    }

    /// <summary>The compilation of <paramref name="code"/> as the next submission (completion and inspection read it).</summary>
    public Compilation CompilationOf(string code) =>
        (_state is null ? CSharpScript.Create<object?>(code, Options, globals.GetType()) : _state.Script.ContinueWith<object?>(code, Options)).GetCompilation();

    /// <summary>True when the code ends in an expression without a semicolon: the cell has a value to show, even a null one.</summary>
    private static bool EndsWithExpression(string code)
    {
        var tree = SyntaxFactory.ParseSyntaxTree(code, new CSharpParseOptions(kind: SourceCodeKind.Script));
        var last = tree.GetCompilationUnitRoot().Members.LastOrDefault() as GlobalStatementSyntax;
        return last?.Statement is ExpressionStatementSyntax { SemicolonToken.IsMissing: true };
    }

    /// <summary>A compile error as the user needs it: each diagnostic with its place ("train.ipynb cell 3(4,9): error CS0103: ...").</summary>
    public static string Describe(CompilationErrorException e) => string.Join("\n", e.Diagnostics.Select(d => d.ToString()));

    /// <summary>A runtime error with only the frames of the user's code, each with its line (the host's frames say nothing to them).</summary>
    public static string Describe(Exception e)
    {
        var frames = (e.StackTrace ?? "").Split('\n')
            .Where(l => l.Contains("Submission#", StringComparison.Ordinal) || l.Contains(" cell ", StringComparison.Ordinal) || l.Contains(".csx", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @":line (\d+)") is { Success: true } m
                ? $"  at line {m.Groups[1].Value}" + (System.Text.RegularExpressions.Regex.Match(l, @" in (.+?\.(?:csx|ipynb cell \d+|cs)):line") is { Success: true } f ? $" of {Path.GetFileName(f.Groups[1].Value)}" : "")
                : "  " + l.Trim());
        return $"{e.GetType().Name}: {e.Message}" + string.Concat(frames.Select(f => "\n" + f));
    }
}

/// <summary>What a cell did: its value (when it ends in an expression), or the exception it threw, or why it did not compile.</summary>
public sealed record CellResult(object? Value, bool HasValue, Exception? Exception, IReadOnlyList<Diagnostic> Errors);
