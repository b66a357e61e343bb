using Ganymede.Server.Api;
using Ganymede.Server.Services;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// The signed-in user's histories and the datasets of the one chosen (the most recently changed by default), with
/// what the API offers on them: create, rename, tag, share, publish, delete, undelete, purge; download and delete
/// datasets. Histories shared with the user, or published by others, are listed too and shown read-only. The rules are
/// the services' (<see cref="HistoryService"/>, <see cref="DatasetService"/>, <see cref="SharingService"/>), the checks
/// the API's (<see cref="Access"/>).
/// </summary>
public sealed class IndexModel(UserStore users, HistoryStore histories, DatasetStore datasets, HistoryService historyService,
    DatasetService datasetService, SharingService sharing, HistoryCopier copier, JobStore jobs, ToolBox tools, Access access, IdCodec ids, Sessions.NotebookSessions sessions) : PageModel
{
    public IReadOnlyList<HistoryRecord> SharedWithMe { get; private set; } = [];
    public IReadOnlyList<HistoryRecord> PublishedByOthers { get; private set; } = [];
    /// <summary>The current history is another user's (shared with the user, or published): nothing on it can be changed here.</summary>
    public bool ReadOnly { get; private set; }
    public string OwnerEmail => Current is null ? "" : users.Get(Current.UserId)?.Email ?? "";
    /// <summary>Who may read the current history besides its owner; null when it is not the user's.</summary>
    public HistorySharing? Sharing { get; private set; }

    public IReadOnlyList<(HistoryRecord History, long Count, long Size)> Histories { get; private set; } = [];
    public HistoryRecord? Current { get; private set; }
    public IReadOnlyList<DatasetRecord> Contents { get; private set; } = [];
    /// <summary>Listing deleted histories (to undelete or purge them) instead of the current ones.</summary>
    [BindProperty(SupportsGet = true)] public bool Deleted { get; set; }
    public string? Error { get; private set; }

    public string Id(long id) => ids.Encode(id);

    /// <summary>Whether a dataset's job can run again: a tool's job, not the upload that brought it in.</summary>
    public bool Rerunnable(DatasetRecord d) => d.CreatingJobId is { } job && _jobTools.TryGetValue(job, out var tool) && tools.Find(tool) is { Runnable: true };

    /// <summary>Where the notebook session that makes this dataset opens, while it runs (Galaxy's interactive tool link); else null.</summary>
    public string? SessionUrl(DatasetRecord d) =>
        d.State == DatasetStates.Running && d.CreatingJobId is { } id && _jobTools.TryGetValue(id, out var tool) && tools.Find(tool) is { Interactive: true }
        && jobs.Get(id) is { } job && sessions.IsListening(job) ? Sessions.NotebookSessions.EntryPath(Id(id)) : null;
    private Dictionary<long, string> _jobTools = [];

    /// <summary>A history's count and size as the list shows them.</summary>
    public static string Totals(long count, long size) => $"{count} dataset{(count == 1 ? "" : "s")}, {GalaxyViews.NiceSize(size)}";

    /// <summary>The current history's line in the list, sent again with each refresh of its table.</summary>
    public string CurrentTotals => Histories.FirstOrDefault(h => h.History.Id == Current?.Id) is { History: not null } h ? Totals(h.Count, h.Size) : "";
    public bool Refreshing { get; private set; }
    /// <summary>Whether some dataset is still being made: the contents then refresh themselves.</summary>

    public bool Unfinished => Contents.Any(d => !DatasetStates.Terminal.Contains(d.State));

    /// <param name="history">the history to show (its encoded id, as the API writes it).</param>
    public void OnGet(string? history) => Load(history);

    /// <summary>The contents table alone, for the page's live refresh.</summary>
    public IActionResult OnGetContents(string? history)
    {
        Load(history);
        Refreshing = true;
        return Partial("_Contents", this);
    }

    public IActionResult OnPostCreate(string? name) =>
        Act(null, () => Redirect("/?history=" + Id(historyService.Create(Me, string.IsNullOrWhiteSpace(name) ? null : name.Trim()).Id)));

    public IActionResult OnPostRename(string history, string? name) =>
        Act(history, () => Back(historyService.Update(Owned(history), name?.Trim() ?? "", null, null, null)));

    public IActionResult OnPostDelete(string history, bool purge) =>
        Act(history, () => { historyService.Delete(Owned(history), purge); return Redirect("/"); });

    public IActionResult OnPostTags(string history, string? tags) =>
        Act(history, () => Back(historyService.Update(Owned(history), null, null, null, null, (tags ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))));

    /// <summary>Publishing (anyone may read it, and copy from it) and link access (anyone who has its address).</summary>
    public IActionResult OnPostAccess(string history, bool published, bool importable) =>
        Act(history, () =>
        {
            var h = Owned(history);
            sharing.SetAccess(Me, h, importable, published);
            return Back(h);
        });

    public IActionResult OnPostShare(string history, string? email) => Share(history, users => users.Append(email ?? ""));

    public IActionResult OnPostUnshare(string history, string email) => Share(history, users => users.Where(u => u != email));

    /// <summary>Shares with the users <paramref name="change"/> makes of those the history is shared with now; a name that is no user is said on the page.</summary>
    private IActionResult Share(string history, Func<IEnumerable<string>, IEnumerable<string>> change) =>
        Act(history, () =>
        {
            var h = Owned(history);
            var shared = sharing.ShareWith(Me, h, change(sharing.Sharing(h).Users.Select(u => u.Email)), _ => null);
            if (shared.Errors.Count == 0) return Back(h);
            throw ApiException.BadRequest(string.Join(" ", shared.Errors));
        });

    /// <summary>A history of one's own with copies of what one may read of another's (Galaxy's "import history").</summary>
    public IActionResult OnPostCopy(string history) => Act(history, () => Back(copier.Copy(Me, access.ReadableHistory(Me, history), null)));

    public IActionResult OnPostUndelete(string history) =>
        Act(history, () => Back(historyService.Update(Owned(history), null, null, deleted: false, null)));

    public IActionResult OnPostDeleteDataset(string dataset, bool purge) =>
        Act(null, () =>
        {
            var d = access.Dataset(Me, dataset);
            if (d.UserId != Me.Id) throw ApiException.Forbidden($"dataset {dataset} belongs to another user");
            datasetService.Delete(d, purge);
            return Redirect("/?history=" + Id(d.HistoryId));
        });

    private UserRecord Me => WebPages.CurrentUser(User, users);

    /// <summary>A history of the signed-in user's own (admins may read others', not change them).</summary>
    private HistoryRecord Owned(string id)
    {
        var h = access.History(Me, id);
        return h.UserId == Me.Id ? h : throw ApiException.Forbidden($"history {id} belongs to another user");
    }

    private RedirectResult Back(HistoryRecord h) => Redirect("/?history=" + Id(h.Id));

    /// <summary>Runs a form's action; a refusal (a bad name, a purged history) shows the page again with the reason.</summary>
    private IActionResult Act(string? history, Func<IActionResult> action)
    {
        try
        {
            return action();
        }
        catch (ApiException e) when (e.Status == 400)
        {
            Error = e.Message;
            Load(history);
            return Page();
        }
    }

    private void Load(string? history)
    {
        var user = Me;
        var list = histories.List(user.Id, deleted: Deleted, published: null).OrderByDescending(h => h.UpdateTime, StringComparer.Ordinal).ToList();
        Histories = list.Select(h => histories.Totals(h.Id) is var (count, size) ? (h, count, size) : default).ToList();
        SharedWithMe = sharing.SharedWith(user);
        PublishedByOthers = histories.ListAll(deleted: false, publishedOnly: true).Where(h => h.UserId != user.Id).ToList();
        // Another user's history that is not shared with the user, or a malformed id, answers as the API does (403, 400, 404).
        Current = history is null ? list.FirstOrDefault() : access.ReadableHistory(user, history);
        if (Current is null) return;
        Contents = datasets.ListByHistory(Current.Id, deleted: false, visible: true).Where(d => d.UserId == user.Id || sharing.MayRead(user, d)).ToList();
        ReadOnly = Current.UserId != user.Id;
        if (!ReadOnly) Sharing = sharing.Sharing(Current);
        _jobTools = jobs.ToolIds(Current.Id);
    }
}
