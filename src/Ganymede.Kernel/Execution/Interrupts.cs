using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Ganymede.Kernel.Execution;

/// <summary>
/// How a running cell is stopped. Each execution has its own token (the shell cancels it on SIGINT or
/// interrupt_request); it flows with the cell's code as an <see cref="AsyncLocal{T}"/>, so every loop of the cell checks
/// it at each iteration (the rewriter below put a check there), and the cell hands it to library code that takes
/// a CancellationToken (training) as <c>Cancellation</c>.
/// </summary>
public static class Interrupts
{
    private static readonly AsyncLocal<CancellationToken> Current = new();

    /// <summary>The token of the execution this code runs in (none outside one).</summary>
    public static CancellationToken Token => Current.Value;

    /// <summary>Called by rewritten cell code inside every loop.</summary>
    public static void Check() => Current.Value.ThrowIfCancellationRequested();

    /// <summary>Makes <paramref name="token"/> the interrupt of the code that runs in this flow from here on.</summary>
    internal static void Enter(CancellationToken token) => Current.Value = token;
}

/// <summary>Adds Interrupts.Check() at the start of every loop body of a cell, so that even while (true) { } can be interrupted.</summary>
public sealed class InterruptRewriter : CSharpSyntaxRewriter
{
    private static readonly StatementSyntax CheckStatement =
        SyntaxFactory.ParseStatement("global::Ganymede.Kernel.Execution.Interrupts.Check();");

    public static string Rewrite(string code)
    {
        var tree = SyntaxFactory.ParseSyntaxTree(code, new CSharpParseOptions(kind: SourceCodeKind.Script));
        if (tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error)) return code; // the compiler will report it as written
        var rewritten = new InterruptRewriter().Visit(tree.GetRoot());
        // Keep line numbers: the check is added on the body's first line, never on a line of its own.
        return rewritten.ToFullString();
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node) => ((WhileStatementSyntax)base.VisitWhileStatement(node)!).WithStatement(Guard(node.Statement));
    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node) => ((DoStatementSyntax)base.VisitDoStatement(node)!).WithStatement(Guard(node.Statement));
    public override SyntaxNode? VisitForStatement(ForStatementSyntax node) => ((ForStatementSyntax)base.VisitForStatement(node)!).WithStatement(Guard(node.Statement));
    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node) => ((ForEachStatementSyntax)base.VisitForEachStatement(node)!).WithStatement(Guard(node.Statement));

    private StatementSyntax Guard(StatementSyntax body)
    {
        var visited = (StatementSyntax)Visit(body)!;
        var statements = visited is BlockSyntax block ? block.Statements : SyntaxFactory.SingletonList(visited.WithoutTrivia());
        var open = visited is BlockSyntax b ? b.OpenBraceToken : SyntaxFactory.Token(SyntaxKind.OpenBraceToken);
        var close = visited is BlockSyntax c ? c.CloseBraceToken : SyntaxFactory.Token(SyntaxKind.CloseBraceToken);
        return SyntaxFactory.Block(open, statements.Insert(0, CheckStatement.WithTrailingTrivia(SyntaxFactory.Space)), close)
            .WithLeadingTrivia(visited.GetLeadingTrivia()).WithTrailingTrivia(visited.GetTrailingTrivia());
    }
}
