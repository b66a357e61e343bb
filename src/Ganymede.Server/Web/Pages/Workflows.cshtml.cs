using System.Text.Json.Nodes;
using Ganymede.Server.Api;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// The user's workflows and the published ones, their latest invocations, and an import of a Galaxy .ga file: the same
/// WorkflowService as POST /api/workflows.
/// </summary>
public sealed class WorkflowsModel(UserStore users, WorkflowStore store, WorkflowService workflows, IdCodec ids, ServerOptions options) : PageModel
{
    public IReadOnlyList<WorkflowRecord> Mine { get; private set; } = [];
    public IReadOnlyList<WorkflowRecord> Published { get; private set; } = [];
    public IReadOnlyList<InvocationRecord> Invocations { get; private set; } = [];
    public string? Error { get; private set; }

    public string Id(long id) => ids.Encode(id);
    public string WorkflowName(long id) => store.Get(id)?.Name ?? "";
    public int StepCount(WorkflowRecord w) => workflows.Definition(w).Steps.Count;

    public void OnGet() => Load();

    public IActionResult OnPostImport(IFormFile? file)
    {
        var me = Me;
        try
        {
            if (file is null || file.Length == 0) throw ApiException.BadRequest("choose a workflow file (.ga) to import");
            if (file.Length > options.MaxJsonBytes) throw ApiException.BadRequest($"a workflow file is at most {options.MaxJsonBytes / (1 << 20)} MiB");
            JsonObject ga;
            using (var stream = file.OpenReadStream())
            {
                try { ga = JsonNode.Parse(stream) as JsonObject ?? throw ApiException.BadRequest($"{file.FileName} is not a workflow: expected a JSON object"); }
                catch (System.Text.Json.JsonException e) { throw ApiException.BadRequest($"{file.FileName} is not valid JSON ({e.Message})"); }
            }
            var imported = workflows.Import(me, ga, publish: false);
            return Redirect("/workflows/" + Id(imported.Id));
        }
        catch (ApiException e) when (e.Status == 400)
        {
            Error = WebPages.Sentence(e.Message);
            Response.StatusCode = 400;
            Load();
            return Page();
        }
    }

    private UserRecord Me => WebPages.CurrentUser(User, users);

    private void Load()
    {
        var me = Me;
        var all = store.List(me.Id, published: true, deleted: false);
        Mine = all.Where(w => w.UserId == me.Id).ToList();
        Published = all.Where(w => w.UserId != me.Id).ToList();
        Invocations = store.Invocations(me.Id, null, null, includeTerminal: true, limit: 20);
    }
}
