using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// The dashboard: the machine (CPU per core, memory, the data directory's disk, GPUs), the queue, and whose jobs run.
/// An administrator sees every user; a user sees their own jobs and quota, and the others only as a count.
/// </summary>
public sealed class DashboardModel(UserStore users, JobStore jobs, SystemMonitor monitor, Quotas quotas, ServerOptions options) : PageModel
{
    public SystemUse Machine { get; private set; } = null!;
    public UserRecord Me { get; private set; } = null!;
    public QuotaUse Use { get; private set; } = null!;
    public IReadOnlyList<(long UserId, string Email, int Queued, int Running)> ByUser { get; private set; } = [];
    public int Queued => ByUser.Sum(u => u.Queued);
    public int Running => ByUser.Sum(u => u.Running);
    public int Slots => options.MaxConcurrentJobs;
    public (int Queued, int Running) Mine => ByUser.Where(u => u.UserId == Me.Id).Select(u => (u.Queued, u.Running)).FirstOrDefault();

    public void OnGet() => Load();

    /// <summary>The figures alone, for their refresh every two seconds.</summary>
    public IActionResult OnGetFigures()
    {
        Load();
        return Partial("_Dashboard", this);
    }

    private void Load()
    {
        Me = WebPages.CurrentUser(User, users);
        Machine = monitor.Sample();
        Use = quotas.Use(Me);
        ByUser = jobs.UnfinishedByUser();
    }

    public static int Percent(long part, long whole) => whole <= 0 ? 0 : (int)Math.Clamp(part * 100 / whole, 0, 100);
}
