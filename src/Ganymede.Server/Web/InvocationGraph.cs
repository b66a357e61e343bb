using System.Text.Json.Nodes;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Web;

/// <summary>A step as the invocation page draws it: where it sits, what it is, how far it got, its jobs and outputs.</summary>
public sealed record GraphNode(WorkflowStep Step, InvocationStepRecord? Reached, string Title, string State, int Column, int Row,
    IReadOnlyList<JobRecord> Jobs, IReadOnlyList<(string Name, string Src, long Id)> Outputs);

/// <summary>
/// A workflow's steps laid out left to right (each a column after the longest chain that feeds it) with the state of
/// one invocation: a step not reached yet is waiting; a tool step is as far as its jobs are (queued, running, ok,
/// error); a pause waits for a decision.
/// </summary>
public sealed class InvocationGraph
{
    public const int Width = 190, Height = 58, ColumnGap = 70, RowGap = 22;

    public IReadOnlyList<GraphNode> Nodes { get; }
    public IReadOnlyList<(GraphNode From, GraphNode To, string Input)> Edges { get; }
    public int Columns => Nodes.Count == 0 ? 0 : Nodes.Max(n => n.Column) + 1;
    public int Rows => Nodes.Count == 0 ? 0 : Nodes.Max(n => n.Row) + 1;
    public int PixelWidth => Columns * (Width + ColumnGap) - ColumnGap + 2;
    public int PixelHeight => Rows * (Height + RowGap) - RowGap + 2;

    /// <param name="outputsOf">a job's outputs by name, those it was found to have made when it ended among them.</param>
    public InvocationGraph(WorkflowDefinition definition, InvocationRecord invocation, IReadOnlyList<InvocationStepRecord> reached, Func<long, IReadOnlyList<JobRecord>> jobsOf,
        Func<JobRecord, IReadOnlyDictionary<string, long>> outputsOf)
    {
        var column = new Dictionary<int, int>();
        foreach (var step in definition.Order())
            column[step.Index] = step.Connections.Values.SelectMany(c => c).Select(c => column.GetValueOrDefault(c.Step) + 1).DefaultIfEmpty(0).Max();
        var rows = new Dictionary<int, int>();
        var byIndex = reached.ToDictionary(s => s.OrderIndex);
        bool ended = invocation.State is "cancelled" or "failed";
        var nodes = definition.Steps.OrderBy(s => column[s.Index]).ThenBy(s => s.Index).Select(step =>
        {
            int c = column[step.Index];
            rows[c] = rows.GetValueOrDefault(c, -1) + 1;
            var row = byIndex.GetValueOrDefault(step.Index);
            var jobs = row is null ? [] : jobsOf(row.Id);
            var outputs = row is null ? [] : InvocationService.Outputs(row)
                .Where(o => o.Value is JsonObject r && r["src"]?.ToString() is "hda" or "hdca")
                .Select(o => (o.Key, o.Value!["src"]!.ToString(), (long)o.Value!["id"]!)).ToList();
            if (jobs is [var job]) outputs.AddRange(outputsOf(job).Where(o => !outputs.Any(known => known.Item1 == o.Key)).Select(o => (o.Key, "hda", o.Value)));
            return new GraphNode(step, row, Title(step), State(step, row, jobs, ended), c, rows[c], jobs, outputs);
        }).ToList();
        Nodes = nodes;
        var at = nodes.ToDictionary(n => n.Step.Index);
        Edges = nodes.SelectMany(n => n.Step.Connections.SelectMany(c => c.Value.Select(s => (at[s.Step], n, c.Key)))).ToList();
    }

    public static int X(GraphNode n) => 1 + n.Column * (Width + ColumnGap);
    public static int Y(GraphNode n) => 1 + n.Row * (Height + RowGap);

    private static string Title(WorkflowStep step) => step.Label ?? step.Type switch
    {
        WorkflowDefinition.ToolStep => step.ToolId ?? "tool",
        WorkflowDefinition.Pause => "pause",
        WorkflowDefinition.Subworkflow => step.Subworkflow!.Name,
        _ => step.InputName,
    };

    private static string State(WorkflowStep step, InvocationStepRecord? row, IReadOnlyList<JobRecord> jobs, bool ended) => row?.State switch
    {
        null => ended ? "not run" : "waiting",
        "failed" => "failed",
        "cancelled" => "cancelled",
        "ready" => step.Subworkflow is null ? "paused" : "running",
        _ when step.Type != WorkflowDefinition.ToolStep || jobs.Count == 0 => "ok",
        _ when jobs.Any(j => j.State == JobStates.Error) => "error",
        _ when jobs.Any(j => j.State == JobStates.Running) => "running",
        _ when jobs.Any(j => j.State is JobStates.New or JobStates.Queued) => "queued",
        _ when jobs.All(j => j.State == JobStates.Deleted) => "cancelled",
        _ => "ok",
    };
}
