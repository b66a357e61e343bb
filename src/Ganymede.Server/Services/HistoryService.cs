using System.Text.Json;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// The rules for histories: valid names and tags, the slug a published history is found by, and what deleting and
/// purging do to their datasets.
/// </summary>
public sealed class HistoryService(HistoryStore histories, DatasetService datasets, FileStore files)
{
    public HistoryRecord Create(UserRecord user, string? name)
    {
        name ??= "Unnamed history";
        if (name.Length > 255 || name.Contains('\0', StringComparison.Ordinal)) throw ApiException.BadRequest("history name: at most 255 characters, no NUL");
        return histories.Create(user.Id, name);
    }

    /// <param name="tags">the history's tags from now on (replacing the old ones); null leaves them.</param>
    public HistoryRecord Update(HistoryRecord history, string? name, string? annotation, bool? deleted, bool? published, IReadOnlyList<string>? tags = null)
    {
        if (name is { Length: 0 or > 255 } || name?.Contains('\0', StringComparison.Ordinal) == true)
            throw ApiException.BadRequest("history name: 1 to 255 characters, no NUL");
        string? slug = published == true && history.Slug is null ? NewSlug(history, name ?? history.Name) : null;
        histories.Update(history.Id, name, annotation, deleted, published, tags is null ? null : JsonSerializer.Serialize(CheckTags(tags)), slug);
        return histories.Get(history.Id)!;
    }

    /// <summary>Adds one tag (Galaxy's POST .../tags/{tag}); a tag it has already is not added twice.</summary>
    public HistoryRecord AddTag(HistoryRecord history, string tag) => Update(history, null, null, null, null, [.. history.TagList, tag]);

    /// <summary>Tags as Galaxy keeps them: trimmed, 1 to 255 characters without commas or control characters, each once.</summary>
    public static List<string> CheckTags(IEnumerable<string> tags)
    {
        var list = new List<string>();
        foreach (var raw in tags)
        {
            var tag = raw.Trim();
            if (tag.Length is 0 or > 255 || tag.Contains(',', StringComparison.Ordinal) || tag.Any(char.IsControl))
                throw ApiException.BadRequest($"tag '{raw}': 1 to 255 characters, without commas or control characters");
            if (!list.Contains(tag)) list.Add(tag);
        }
        return list;
    }

    /// <summary>The name in lower case with dashes for everything else ("COVID CT, run 2" gives "covid-ct-run-2"), unique among the owner's.</summary>
    private string NewSlug(HistoryRecord history, string name)
    {
        var words = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ').ToArray()).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var slug = words.Length == 0 ? "history" : string.Join('-', words);
        if (slug.Length > 100) slug = slug[..100].TrimEnd('-');
        var unique = slug;
        for (int i = 2; histories.SlugTaken(history.UserId, history.Id, unique); i++) unique = $"{slug}-{i}";
        return unique;
    }

    /// <summary>Deletes the history (it can be undeleted); purging also purges every dataset in it, first, which frees space on a full disk.</summary>
    public HistoryRecord Delete(HistoryRecord history, bool purge)
    {
        if (purge) datasets.PurgeHistory(history.Id);
        DiskSpace.FreeingReserve(files, () => histories.Delete(history.Id, purge));
        return histories.Get(history.Id)!;
    }
}
