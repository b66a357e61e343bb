using System.Text;
using System.Xml.Linq;
using Ganymede.Scripting;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ganymede.Kernel.Execution;

/// <summary>
/// C# for the kernel: runs cells in one session (state carries over), and answers completion, inspection and
/// is_complete from the compiler's own view of the code typed so far.
/// </summary>
public sealed class CSharpEngine
{
    private readonly ScriptSession _session;

    public CSharpEngine(KernelGlobals globals)
    {
        _session = new ScriptSession(globals);
        _session.Options = _session.Options.AddReferences(typeof(CSharpEngine).Assembly).AddImports("Ganymede.Kernel", "Ganymede.Kernel.Display");
    }

    /// <summary>
    /// Runs a cell, with a check of <paramref name="interrupt"/> in every loop; <paramref name="abandoned"/> set means a
    /// later cell has taken over.
    /// </summary>
    public async Task<CellResult> ExecuteAsync(string code, CancellationToken interrupt, CancellationToken abandoned)
    {
        Interrupts.Enter(interrupt); // an async method: the token flows into the cell, and the caller's flow never sees it
        return await _session.RunCellAsync(InterruptRewriter.Rewrite(code), abandoned);
    }

    public static string IsComplete(string code)
    {
        var tree = SyntaxFactory.ParseSyntaxTree(code, new CSharpParseOptions(kind: SourceCodeKind.Script));
        if (!SyntaxFactory.IsCompleteSubmission(tree)) return "incomplete";
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? "invalid" : "complete";
    }

    /// <summary>Names that fit at the cursor: members after "expr.", otherwise everything in scope; with where the typed word starts.</summary>
    public (List<string> Matches, int Start) Complete(string code, int cursor)
    {
        int start = cursor;
        while (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_')) start--;
        string prefix = code[start..cursor];
        var compilation = _session.CompilationOf(code);
        var tree = compilation.SyntaxTrees.Last();
        var model = compilation.GetSemanticModel(tree);
        IEnumerable<ISymbol> symbols;
        var token = tree.GetRoot().FindToken(Math.Max(0, start - 1));
        if (start > 0 && code[start - 1] == '.' && token.Parent is MemberAccessExpressionSyntax access)
        {
            var target = model.GetTypeInfo(access.Expression).Type;
            var asType = model.GetSymbolInfo(access.Expression).Symbol as INamespaceOrTypeSymbol;
            symbols = asType is not null && target is null
                ? model.LookupStaticMembers(start, asType)
                : target is null ? [] : model.LookupSymbols(start, target, includeReducedExtensionMethods: true);
        }
        else
        {
            symbols = model.LookupSymbols(start);
        }
        var matches = symbols.Where(s => s.CanBeReferencedByName && s.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(s => s.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        return (matches, start);
    }

    /// <summary>The signature and documentation of what is at the cursor, or null.</summary>
    public string? Inspect(string code, int cursor)
    {
        var compilation = _session.CompilationOf(code);
        var tree = compilation.SyntaxTrees.Last();
        var model = compilation.GetSemanticModel(tree);
        var position = Math.Clamp(cursor > 0 && (cursor >= code.Length || !char.IsLetterOrDigit(code[cursor])) ? cursor - 1 : cursor, 0, Math.Max(code.Length - 1, 0));
        var node = tree.GetRoot().FindToken(position).Parent;
        while (node is not null)
        {
            var info = model.GetSymbolInfo(node);
            var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault() ?? model.GetDeclaredSymbol(node) ?? (ISymbol?)model.GetTypeInfo(node).Type;
            if (symbol is not null && symbol is not IErrorTypeSymbol) return Describe(symbol, info.CandidateSymbols);
            node = node.Parent is StatementSyntax or CompilationUnitSyntax ? null : node.Parent;
        }
        return null;
    }

    private static string Describe(ISymbol symbol, IEnumerable<ISymbol> overloads)
    {
        var text = new StringBuilder();
        foreach (var s in new[] { symbol }.Concat(overloads.Where(o => !SymbolEqualityComparer.Default.Equals(o, symbol))).Take(8))
            text.AppendLine(s.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat));
        var xml = symbol.GetDocumentationCommentXml();
        XElement? doc = null;
        try { doc = string.IsNullOrWhiteSpace(xml) ? XmlDocumentation.For(symbol) : XElement.Parse(xml); }
        catch (System.Xml.XmlException) { }
        if (doc is not null)
        {
            foreach (var part in new[] { "summary", "returns", "remarks" })
                if (doc.Element(part) is { } e) text.AppendLine().AppendLine(Words(e.Value));
            foreach (var p in doc.Elements("param"))
                text.AppendLine($"{p.Attribute("name")?.Value}: {Words(p.Value)}");
        }
        return text.ToString().TrimEnd();
    }

    private static string Words(string text) => string.Join(" ", text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
