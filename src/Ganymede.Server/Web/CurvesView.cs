using Ganymede.Server.Services.Previews;

namespace Ganymede.Server.Web;

/// <summary>
/// The training curves of one run or several (a comparison): a chart of the losses and one of the validation
/// scores over the epochs; with several runs, each line is named by its run.
/// </summary>
public sealed record CurvesView(IReadOnlyList<(string Run, TrainingMetrics Metrics)> Runs)
{
    public IReadOnlyList<ChartSeries> Series(IEnumerable<string> names) =>
        Runs.SelectMany(r => names.Where(r.Metrics.Series.ContainsKey)
            .Select(n => new ChartSeries(r.Run.Length == 0 ? n : $"{r.Run}: {n}", r.Metrics.Epochs, r.Metrics.Series[n]))).ToList();

    public IReadOnlyList<ChartSeries> Losses => Series(TrainingMetrics.Losses);
    public IReadOnlyList<ChartSeries> Scores => Series(Runs.Count > 1 ? ["dice"] : TrainingMetrics.Scores);

    /// <summary>Metrics without the use case's names still draw: every series but the bookkeeping ones, in one chart.</summary>
    public IReadOnlyList<ChartSeries> Others => Series(Runs.SelectMany(r => r.Metrics.Series.Keys)
        .Where(n => !TrainingMetrics.Losses.Contains(n) && !TrainingMetrics.Scores.Contains(n) && n is not ("lr" or "seconds" or "size" or "step")).Distinct());
}
