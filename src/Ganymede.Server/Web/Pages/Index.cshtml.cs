using Ganymede.Server.Api;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>The signed-in user's histories, and the datasets of the one chosen (the most recently changed by default).</summary>
public sealed class IndexModel(UserStore users, HistoryStore histories, DatasetStore datasets, Access access, IdCodec ids) : PageModel
{
    public IReadOnlyList<(HistoryRecord History, long Count, long Size)> Histories { get; private set; } = [];
    public HistoryRecord? Current { get; private set; }
    public IReadOnlyList<DatasetRecord> Contents { get; private set; } = [];

    public string Id(long id) => ids.Encode(id);

    /// <param name="history">the history to show (its encoded id, as the API writes it).</param>
    public void OnGet(string? history)
    {
        var user = WebPages.CurrentUser(User, users);
        var list = histories.List(user.Id, deleted: false, published: null).OrderByDescending(h => h.UpdateTime, StringComparer.Ordinal).ToList();
        Histories = list.Select(h => histories.Totals(h.Id) is var (count, size) ? (h, count, size) : default).ToList();
        // Another user's history, or a malformed id, answers as the API does (403, 400, 404).
        Current = history is null ? list.FirstOrDefault() : access.History(user, history);
        if (Current is not null) Contents = datasets.ListByHistory(Current.Id, deleted: false, visible: true);
    }
}
