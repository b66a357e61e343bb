using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;
using Ganymede.Server.Services.Previews;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>One training run in a comparison: its job, its label on the charts, its parameters and figures.</summary>
public sealed record ComparedRun(JobRecord Job, string Label, IReadOnlyDictionary<string, string> Parameters, TrainingMetrics? Metrics);

/// <summary>
/// Experiment tracking: the user's training runs to pick from, and for those picked their curves overlaid, their
/// parameters side by side (those that differ marked) and their best and last figures.
/// </summary>
public sealed class CompareModel(UserStore users, JobStore jobStore, ToolBox tools, RunMetrics runs, Access access, IdCodec ids) : PageModel
{
    private const int Offered = 100;
    public IReadOnlyList<JobRecord> Candidates { get; private set; } = [];
    public IReadOnlyList<ComparedRun> Runs { get; private set; } = [];
    public IReadOnlyList<string> ParameterNames { get; private set; } = [];
    public static readonly string[] Figures = ["dice", "valid_loss", "train_loss", "pooled_dice"];

    public string Id(long id) => ids.Encode(id);
    public bool Picked(JobRecord job) => Runs.Any(r => r.Job.Id == job.Id);
    public bool Differs(string parameter) => Runs.Select(r => r.Parameters.GetValueOrDefault(parameter, "")).Distinct().Count() > 1;
    public CurvesView Curves => new(Runs.Where(r => r.Metrics is { IsEmpty: false }).Select(r => (r.Label, r.Metrics!)).ToList());

    public void OnGet(string[]? jobs)
    {
        var me = WebPages.CurrentUser(User, users);
        var trainers = tools.All.Where(t => t.LiveMetrics is not null).Select(t => t.Id).ToArray();
        Candidates = jobStore.List(me.Id, null, null, trainers, Offered, 0, "create_time");
        Runs = (jobs ?? []).Distinct().Take(8).Select((id, i) =>
        {
            var job = access.Job(me, id);
            if (!runs.IsTraining(job)) throw ApiException.BadRequest($"job {id} is not a training run");
            return new ComparedRun(job, $"run {i + 1}", GalaxyViews.JobParameters(job), runs.For(job));
        }).ToList();
        ParameterNames = Runs.SelectMany(r => r.Parameters.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A run's parameters in one line, for picking it: those given a value.</summary>
    public static string Summary(JobRecord job) => string.Join(", ", GalaxyViews.JobParameters(job).Where(p => p.Value.Length > 0 && p.Value != "null").Select(p => $"{p.Key} {p.Value}"));
}
