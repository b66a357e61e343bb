using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>The signed-in user's jobs, newest first, filtered by state, tool and history as GET /api/jobs filters them.</summary>
public sealed class JobsModel(UserStore users, HistoryStore histories, JobStore jobs, ToolBox tools, Access access, IdCodec ids) : PageModel
{
    public IReadOnlyList<JobRecord> Jobs { get; private set; } = [];
    public IReadOnlyList<HistoryRecord> Histories { get; private set; } = [];
    public IEnumerable<Tool> Tools => tools.All.Where(t => !t.Hidden);
    public string? State { get; private set; }
    public string? ToolId { get; private set; }
    public string? History { get; private set; }

    public static readonly string[] States = [JobStates.New, JobStates.Queued, JobStates.Running, JobStates.Ok, JobStates.Error, JobStates.Deleted];

    public string Id(long id) => ids.Encode(id);
    public string ToolName(string id) => tools.Find(id)?.Name ?? id;
    public string HistoryName(long id) => Histories.FirstOrDefault(h => h.Id == id)?.Name ?? "(deleted history)";

    public void OnGet(string? state, string? tool, string? history)
    {
        var user = WebPages.CurrentUser(User, users);
        (State, ToolId, History) = (string.IsNullOrEmpty(state) ? null : state, string.IsNullOrEmpty(tool) ? null : tool, string.IsNullOrEmpty(history) ? null : history);
        Histories = histories.List(user.Id, deleted: null, published: null);
        long? historyId = History is null ? null : access.History(user, History).Id;
        Jobs = jobs.List(user.Id, historyId, State is null ? null : [State], ToolId is null ? null : [ToolId], 200, 0, "update_time");
    }
}
