using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services.Previews;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// A training run's figures per epoch, wherever they are now: the job's metrics dataset once it is made, the file the
/// job writes while it runs (<see cref="Tool.LiveMetrics"/>) before. The job page and the comparison both read here.
/// </summary>
public sealed class RunMetrics(DatasetStore datasets, FileStore files, JobManager manager, ToolBox tools)
{
    /// <summary>Whether the job's tool trains (writes metrics per epoch), so its runs can be compared.</summary>
    public bool IsTraining(JobRecord job) => tools.Find(job.ToolId)?.LiveMetrics is not null;

    public TrainingMetrics? For(JobRecord job)
    {
        var metrics = GalaxyViews.JobOutputs(job).Select(o => datasets.Get(o.Value))
            .FirstOrDefault(d => d is { Extension: "csv", State: DatasetStates.Ok, Purged: false });
        if (metrics is not null) return TrainingMetrics.Read(files.DatasetPath(metrics.Id));
        using var stream = manager.OpenLiveMetrics(job);
        return stream is null ? null : TrainingMetrics.Read(stream);
    }
}
