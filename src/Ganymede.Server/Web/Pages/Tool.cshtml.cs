using System.Text.Json.Nodes;
using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// A tool's form, made from the same input definitions GET /api/tools/{id}?io_details=true returns: datasets of the
/// chosen history filtered by type, numbers with their bounds, choices, defaults and help. Submitting goes through
/// the API's JobSubmission; what it refuses is shown by each field, with what the user entered kept.
/// </summary>
public sealed class ToolModel(UserStore users, HistoryStore histories, DatasetStore datasets, ToolBox tools, JobSubmission submission, JobManager manager,
    Access access, IdCodec ids) : PageModel
{
    public Tool Tool { get; private set; } = null!;
    public IReadOnlyList<HistoryRecord> Histories { get; private set; } = [];
    public HistoryRecord? History { get; private set; }
    /// <summary>The history's datasets a data input may take, by input name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<DatasetRecord>> Choices { get; private set; } = new Dictionary<string, IReadOnlyList<DatasetRecord>>();
    /// <summary>What the form holds: the defaults, or what the user sent (kept when it is refused).</summary>
    public Dictionary<string, string[]> Values { get; } = [];
    public IReadOnlyDictionary<string, string> Errors { get; private set; } = new Dictionary<string, string>();
    public string? Error { get; private set; }

    public string Id(long id) => ids.Encode(id);
    public string Value(ToolInput input) => Values.TryGetValue(input.Name, out var v) && v.Length > 0 ? v[0] : "";
    public bool Chosen(ToolInput input, string value) => Values.TryGetValue(input.Name, out var v) && v.Contains(value);

    public void OnGet(string id, string? history)
    {
        Load(id, history);
        foreach (var input in Tool.Inputs)
            if (input.Default is { } d) Values[input.Name] = [d is JsonValue v && v.TryGetValue<string>(out var s) ? s : d.ToJsonString()];
    }

    public IActionResult OnPost(string id, string? history)
    {
        Load(id, history);
        var inputs = new JsonObject();
        foreach (var input in Tool.Inputs)
        {
            var sent = Request.Form[input.Name].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToArray();
            Values[input.Name] = sent;
            if (input.Type == "data")
                inputs[input.Name] = new JsonObject { ["values"] = new JsonArray(sent.Select(v => (JsonNode)new JsonObject { ["src"] = "hda", ["id"] = v }).ToArray()) };
            else if (input.Type == "boolean")
                inputs[input.Name] = sent.Contains("true") ? "true" : "false";
            else if (sent.Length > 0)
                inputs[input.Name] = sent[0];
        }
        try
        {
            if (History is null) throw ApiException.BadRequest("choose a history to run the tool in");
            var (job, _) = submission.Submit(Me, access.WritableHistory(Me, Id(History.Id)), Tool, inputs);
            manager.Wake();
            return Redirect("/jobs/" + Id(job.Id));
        }
        catch (ApiException e) when (e.Status is 400 or 403 or 404)
        {
            Errors = e.Fields;
            Error = e.Fields.Count > 0 ? "The tool was not run: correct the fields marked below." : WebPages.Sentence(e.Message);
            Response.StatusCode = 400;
            return Page();
        }
    }

    private UserRecord Me => WebPages.CurrentUser(User, users);

    private void Load(string id, string? history)
    {
        Tool = tools.Find(id) is { Runnable: true, Hidden: false } tool ? tool : throw ApiException.NotFound($"tool {id} not found");
        var me = Me;
        Histories = histories.List(me.Id, deleted: false, published: null).OrderByDescending(h => h.UpdateTime, StringComparer.Ordinal).ToList();
        History = !string.IsNullOrEmpty(history) ? access.WritableHistory(me, history) : Histories.Count > 0 ? Histories[0] : null;
        if (History is null) return;
        var contents = datasets.ListByHistory(History.Id, deleted: false, visible: true)
            .Where(d => d.State is not (DatasetStates.Error or DatasetStates.Discarded)).ToList();
        // A dataset still being made has no type yet ("data"): offered to every input, as the API accepts it.
        Choices = Tool.Inputs.Where(i => i.Type == "data").ToDictionary(i => i.Name,
            i => (IReadOnlyList<DatasetRecord>)contents.Where(d => i.Formats is null || i.Formats.Contains(d.Extension) || d.State != DatasetStates.Ok).ToList());
    }
}
