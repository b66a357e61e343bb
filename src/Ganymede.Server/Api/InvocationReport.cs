using System.Text;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Api;

/// <summary>What an invocation did, written for people (Galaxy's Markdown report) and for archives (an IEEE 2791 BioCompute object).</summary>
public static class InvocationReport
{
    public static string Markdown(InvocationRecord invocation, WorkflowDefinition definition, WorkflowStore store)
    {
        var text = new StringBuilder($"# Workflow Execution Summary of {definition.Name}\n\nState: {invocation.State}, started {invocation.CreateTime} UTC.\n\n");
        var reached = store.Steps(invocation.Id).ToDictionary(s => s.OrderIndex);
        foreach (var step in definition.Steps)
        {
            var state = reached.TryGetValue(step.Index, out var s) ? s.State : "not reached";
            text.Append($"- step {step.Index}: {step.Label ?? step.ToolId ?? step.Type} ({step.Type}): {state}");
            if (s?.Info is { } info) text.Append($" ({info})");
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The BioCompute object of the invocation: one pipeline step per tool step, with the job's values and datasets.</summary>
    public static Dictionary<string, object?> BioCompute(InvocationRecord invocation, WorkflowDefinition definition, WorkflowStore store, JobStore jobs)
    {
        var reached = store.Steps(invocation.Id).ToDictionary(s => s.OrderIndex);
        var tools = definition.Steps.Where(s => s.Type == WorkflowDefinition.ToolStep).ToList();
        return new()
        {
            ["object_id"] = $"urn:uuid:{invocation.Uuid}", ["spec_version"] = "https://w3id.org/ieee/ieee-2791-schema/2791object.json", ["etag"] = invocation.UpdateTime,
            ["provenance_domain"] = new Dictionary<string, object?>
            {
                ["name"] = definition.Name, ["version"] = invocation.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["created"] = invocation.CreateTime, ["modified"] = invocation.UpdateTime, ["contributors"] = Array.Empty<object>(), ["license"] = "",
            },
            ["usability_domain"] = Array.Empty<string>(),
            ["description_domain"] = new Dictionary<string, object?>
            {
                ["keywords"] = Array.Empty<string>(), ["platform"] = new[] { "Ganymede" },
                ["pipeline_steps"] = tools.Select((step, n) => new Dictionary<string, object?>
                {
                    ["step_number"] = n + 1, ["name"] = step.ToolId, ["description"] = step.Label ?? step.Name, ["version"] = step.ToolVersion ?? "",
                    ["prerequisite"] = Array.Empty<object>(),
                    ["input_list"] = step.Connections.SelectMany(c => c.Value).Select(c => new Dictionary<string, object?> { ["step"] = c.Step, ["output"] = c.OutputName }).ToList(),
                    ["output_list"] = reached.TryGetValue(step.Index, out var s) ? InvocationService.Outputs(s).Keys.ToList() : [],
                }).ToList(),
            },
            ["execution_domain"] = new Dictionary<string, object?>
            {
                ["script"] = Array.Empty<object>(), ["script_driver"] = "Ganymede", ["software_prerequisites"] = Array.Empty<object>(), ["external_data_endpoints"] = Array.Empty<object>(),
                ["environment_variables"] = new Dictionary<string, object?>(),
            },
            ["parametric_domain"] = tools.Where(t => reached.ContainsKey(t.Index) && store.StepJobs(reached[t.Index].Id).Count > 0)
                .SelectMany(t => GalaxyViews.JobParameters(jobs.Get(store.StepJobs(reached[t.Index].Id)[0])!).Select(p => new Dictionary<string, object?>
                {
                    ["step"] = t.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), ["param"] = p.Key, ["value"] = p.Value,
                })).ToList(),
            ["io_domain"] = new Dictionary<string, object?> { ["input_subdomain"] = Array.Empty<object>(), ["output_subdomain"] = Array.Empty<object>() },
        };
    }
}
