using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Ganymede.Server.Api;

/// <summary>
/// Histories' contents as their owners last listed them, by query, kept while the history's contents version
/// (<see cref="Storage.DatasetStore.ContentsVersion"/>) is the same: a client polling an unchanged history (BioBlend
/// waiting for a job, a page) costs one small query instead of reading and writing a thousand datasets each time.
/// Only owners' summary listings are kept: what another user may see also depends on permissions, which the version
/// does not follow.
/// </summary>
public sealed class ContentsCache
{
    private const int Capacity = 1024;
    private readonly ConcurrentDictionary<(long History, string Query), (string Version, JsonAnswer Answer)> _answers = new();

    public bool TryGet(long historyId, string query, string version, [NotNullWhen(true)] out JsonAnswer? answer)
    {
        answer = null;
        if (!_answers.TryGetValue((historyId, query), out var kept) || kept.Version != version) return false;
        answer = kept.Answer;
        return true;
    }

    public void Put(long historyId, string query, string version, JsonAnswer answer)
    {
        if (_answers.Count >= Capacity) _answers.Clear(); // many histories polled at once: start over rather than grow
        _answers[(historyId, query)] = (version, answer);
    }
}
