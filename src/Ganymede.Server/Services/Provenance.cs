using System.Text.Json.Nodes;
using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Galaxy's dataset provenance: the job that made a dataset (tool, parameters, stdout, stderr; the invocation and step
/// when a workflow ran it) and the datasets it read, each as its id and uuid, or, followed, as its own provenance, back to the uploads.
/// </summary>
public sealed class Provenance(DatasetStore datasets, JobStore jobs, WorkflowStore workflows, JobManager manager, IdCodec ids)
{
    /// <summary>How much of each log the provenance carries (the job page has the whole).</summary>
    private const int LogBytes = 64 * 1024;

    public Dictionary<string, object?> Of(DatasetRecord dataset, bool follow)
    {
        var view = new Dictionary<string, object?> { ["id"] = ids.Encode(dataset.Id), ["uuid"] = dataset.Uuid };
        if (dataset.CreatingJobId is not { } jobId || jobs.Get(jobId) is not { } job) return view;
        view["job_id"] = ids.Encode(job.Id);
        view["tool_id"] = job.ToolId;
        // A dataset a workflow made names the invocation and the step.
        if (workflows.StepOfJob(job.Id) is { } step)
        {
            view["invocation_id"] = ids.Encode(step.InvocationId);
            view["workflow_step"] = step.OrderIndex;
        }
        view["stdout"] = manager.ReadLog(job.Id, "stdout", LogBytes);
        view["stderr"] = manager.ReadLog(job.Id, "stderr", LogBytes);
        // Galaxy gives each parameter JSON-encoded, as text.
        var parameters = (JsonNode.Parse(job.Params) as JsonObject ?? []).ToDictionary(p => p.Key, p => (object?)(p.Value?.ToJsonString() ?? "null"));
        // Jobs only read datasets made before them: following inputs always ends.
        foreach (var (name, id) in GalaxyViews.JobInputs(job))
            if (datasets.Get(id) is { } input)
                parameters[name] = follow ? Of(input, follow: true) : new Dictionary<string, object?> { ["id"] = ids.Encode(input.Id), ["uuid"] = input.Uuid };
        view["parameters"] = parameters;
        return view;
    }
}
