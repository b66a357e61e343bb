using Ganymede.Server.Jobs;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>The tools a user can run from a form (the upload tools are the histories page's upload section).</summary>
public sealed class ToolsModel(ToolBox tools) : PageModel
{
    public IEnumerable<Tool> Tools => tools.All.Where(t => t is { Runnable: true, Hidden: false }).OrderBy(t => t.Name, StringComparer.Ordinal);
    public string? History { get; private set; }

    public void OnGet(string? history) => History = history;
}
