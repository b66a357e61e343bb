using System.Text.Json.Nodes;

namespace Ganymede.Client;

public sealed partial class GanymedeClient
{
    /// <summary>Imports a workflow in Galaxy's .ga format (BioBlend's import_workflow_dict).</summary>
    public Task<Workflow> ImportWorkflowAsync(JsonObject ga, bool publish = false, CancellationToken cancel = default) =>
        SendAsync<Workflow>(HttpMethod.Post, "api/workflows/upload", new JsonObject { ["workflow"] = ga.DeepClone(), ["publish"] = publish }, cancel);

    /// <summary>Imports a workflow from a .ga file.</summary>
    public async Task<Workflow> ImportWorkflowAsync(string path, bool publish = false, CancellationToken cancel = default) =>
        await ImportWorkflowAsync(JsonNode.Parse(await File.ReadAllTextAsync(path, cancel))!.AsObject(), publish, cancel);

    /// <summary>
    /// Runs a workflow in a history. <paramref name="inputs"/> are by input name (its label): datasets as
    /// <see cref="DatasetInput"/>, parameters as their values; <paramref name="parameters"/> set tool values by step number.
    /// </summary>
    public Task<Invocation> InvokeWorkflowAsync(string workflowId, string historyId, JsonObject inputs, JsonObject? parameters = null, CancellationToken cancel = default) =>
        SendAsync<Invocation>(HttpMethod.Post, $"api/workflows/{workflowId}/invocations", new JsonObject
        {
            ["inputs"] = inputs.DeepClone(), ["inputs_by"] = "name", ["history_id"] = historyId, ["parameters"] = parameters?.DeepClone() ?? new JsonObject(),
        }, cancel);

    public Task<Invocation> GetInvocationAsync(string id, CancellationToken cancel = default) => GetAsync<Invocation>($"api/invocations/{id}", cancel);

    /// <summary>
    /// Polls an invocation until every step is scheduled, then until each step's jobs end; returns it. An invocation
    /// that fails or is cancelled, or a job of it that fails, throws <see cref="InvocationFailedException"/>.
    /// </summary>
    public async Task<Invocation> WaitForInvocationAsync(string id, TimeSpan timeout, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var interval = TimeSpan.FromMilliseconds(200); ; interval = Min(interval * 1.5, TimeSpan.FromSeconds(3)))
        {
            var invocation = await GetInvocationAsync(id, cancel);
            if (invocation.State is "failed" or "cancelled") throw new InvocationFailedException(invocation);
            if (invocation.State == "scheduled")
            {
                foreach (var job in invocation.Steps.SelectMany(s => s.Jobs ?? []))
                    await WaitForJobAsync(job.Id, deadline - DateTime.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero, cancel: cancel);
                return await GetInvocationAsync(id, cancel);
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"invocation {id} is still {invocation.State} after {timeout}");
            await Task.Delay(interval, cancel);
        }
    }
}

/// <summary>An invocation that failed or was cancelled: its messages say which step and why.</summary>
public sealed class InvocationFailedException(Invocation invocation)
    : Exception($"invocation {invocation.Id} {invocation.State}: {string.Join("; ", invocation.Messages?.Select(m => m.Details) ?? [])}")
{
    public Invocation Invocation { get; } = invocation;
}
