using System.Text.Json.Nodes;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// The rules for dataset collections, Galaxy's: a type made of "list" and "paired" levels ("list:paired" is a list
/// of pairs); a pair has exactly a forward and a reverse element; identifiers are unique within their level; the
/// elements are the user's own datasets (or collections), referred to, not copied.
/// </summary>
public sealed class CollectionService(CollectionStore collections, DatasetStore datasets, DatasetService datasetService)
{
    private const int MaxElements = 10_000;
    private const int MaxDepth = 4;

    /// <summary>
    /// Creates a collection in <paramref name="history"/> from Galaxy's element_identifiers; <paramref name="dataset"/>
    /// and <paramref name="collection"/> look up (and authorise) the ids the elements name.
    /// </summary>
    public HistoryCollectionRecord Create(UserRecord user, HistoryRecord history, string? name, string? collectionType, JsonArray? elements,
        Func<string, DatasetRecord> dataset, Func<string, HistoryCollectionRecord> collection)
    {
        name = name?.Trim() is { Length: > 0 } n ? n : throw ApiException.MissingParameter("a collection needs a name");
        if (name.Length > 255 || name.Any(char.IsControl)) throw ApiException.BadRequest("a collection's name is 1 to 255 characters, without control characters");
        var type = CheckType(collectionType ?? throw ApiException.MissingParameter("collection_type is required (list, paired, list:paired, ...)"));
        var spec = Spec(type, elements ?? throw ApiException.MissingParameter("element_identifiers is required"), dataset, collection, "");
        return collections.Create(history.Id, user.Id, name, spec);
    }

    /// <summary>
    /// Galaxy's copy of a collection into another history: its datasets copied there, hidden (sharing their bytes), in
    /// a collection of the same structure and name.
    /// </summary>
    public HistoryCollectionRecord CopyTo(UserRecord user, HistoryCollectionRecord source, HistoryRecord target)
    {
        CollectionSpec Copied(long collectionId, string type) =>
            new(type, collections.Elements(collectionId).Select(e => new CollectionElementSpec(e.ElementIdentifier,
                e.DatasetId is { } id ? Hidden(datasetService.Copy(user, datasets.Get(id)!, target)) : null,
                e.ChildCollectionId is { } child ? Copied(child, type[(type.IndexOf(':') + 1)..]) : null)).ToList());
        long Hidden(DatasetRecord copy)
        {
            datasets.Update(copy.Id, null, visible: false, null);
            return copy.Id;
        }
        return collections.Create(target.Id, user.Id, source.Name, Copied(source.CollectionId, collections.CollectionType(source.CollectionId)));
    }

    public HistoryCollectionRecord Update(HistoryCollectionRecord hdca, string? name, bool? visible, bool? deleted)
    {
        if (name is not null && (name.Trim().Length is 0 or > 255 || name.Any(char.IsControl))) throw ApiException.BadRequest("a collection's name is 1 to 255 characters, without control characters");
        collections.Update(hdca.Id, name?.Trim(), visible, deleted);
        return collections.Get(hdca.Id)!;
    }

    /// <summary>Every dataset in the collection with its path of identifiers ("sample1/forward"), depth first, in order.</summary>
    public IEnumerable<(string Path, DatasetRecord Dataset)> Datasets(long collectionId, string prefix = "")
    {
        foreach (var element in collections.Elements(collectionId))
        {
            var path = prefix + element.ElementIdentifier;
            if (element.DatasetId is { } id && datasets.Get(id) is { } d) yield return (path, d);
            else if (element.ChildCollectionId is { } child)
                foreach (var inner in Datasets(child, path + "/")) yield return inner;
        }
    }

    /// <summary>A collection type: "list" or "paired" levels joined by ':' (at most four).</summary>
    public static string CheckType(string type)
    {
        var levels = type.Split(':');
        if (levels.Length > MaxDepth || levels.Any(l => l is not ("list" or "paired")))
            throw ApiException.BadRequest($"collection type '{type}': expected list, paired, or levels of them joined by ':' (list:paired), at most {MaxDepth}");
        return type;
    }

    private CollectionSpec Spec(string type, JsonArray elements, Func<string, DatasetRecord> dataset, Func<string, HistoryCollectionRecord> collection, string where)
    {
        var (level, rest) = type.IndexOf(':') is var colon and >= 0 ? (type[..colon], type[(colon + 1)..]) : (type, null);
        if (elements.Count > MaxElements) throw ApiException.BadRequest($"{Where(where)}more than {MaxElements:N0} elements");
        var built = new List<CollectionElementSpec>();
        foreach (var node in elements)
        {
            if (node is not JsonObject e) throw ApiException.BadRequest($"{Where(where)}each element is an object with a name and a src");
            var identifier = e["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s.Trim() : "";
            if (identifier.Length is 0 or > 255 || identifier.Any(char.IsControl) || identifier.Contains('/', StringComparison.Ordinal))
                throw ApiException.BadRequest($"{Where(where)}element name '{identifier}': 1 to 255 characters, without '/' or control characters");
            if (built.Any(b => b.Identifier == identifier)) throw ApiException.BadRequest($"{Where(where)}two elements are named '{identifier}'");
            var src = e["src"]?.ToString();
            var id = e["id"]?.ToString();
            built.Add(src switch
            {
                "hda" when rest is null => new(identifier, Finished(dataset(id ?? throw ApiException.MissingParameter($"{Where(where)}element '{identifier}' needs an id"))).Id, null),
                "new_collection" when rest is not null => new(identifier, null,
                    Spec(e["collection_type"]?.ToString() is { } t && t != rest ? throw ApiException.BadRequest($"{Where(where)}element '{identifier}' is a {t}, but this {type} needs a {rest} there") : rest,
                        e["element_identifiers"] as JsonArray ?? throw ApiException.MissingParameter($"{Where(where)}element '{identifier}' needs element_identifiers"),
                        dataset, collection, where + identifier + "/")),
                "hdca" when rest is not null => new(identifier, null, Copy(collection(id ?? throw ApiException.MissingParameter($"{Where(where)}element '{identifier}' needs an id")), rest, where + identifier)),
                "hda" or "new_collection" or "hdca" => throw ApiException.BadRequest($"{Where(where)}element '{identifier}': a {type} holds {(rest is null ? "datasets (src hda)" : $"{rest} collections (src new_collection or hdca)")} here"),
                _ => throw ApiException.BadRequest($"{Where(where)}element '{identifier}': src '{src}' is not supported (hda, new_collection or hdca)"),
            });
        }
        if (level == "paired" && !built.Select(b => b.Identifier).SequenceEqual(["forward", "reverse"]))
            throw ApiException.BadRequest($"{Where(where)}a pair has two elements, named forward and reverse, in that order");
        return new CollectionSpec(type, built);
    }

    /// <summary>An existing collection as a nested element: the same structure, checked to be of the type needed.</summary>
    private CollectionSpec Copy(HistoryCollectionRecord hdca, string type, string where)
    {
        var actual = collections.CollectionType(hdca.CollectionId);
        if (actual != type) throw ApiException.BadRequest($"{where}: collection '{hdca.Name}' is a {actual}, but a {type} is needed here");
        return Structure(hdca.CollectionId, type);
    }

    private CollectionSpec Structure(long collectionId, string type) =>
        new(type, collections.Elements(collectionId).Select(e => new CollectionElementSpec(e.ElementIdentifier, e.DatasetId,
            e.ChildCollectionId is { } child ? Structure(child, type[(type.IndexOf(':') + 1)..]) : null)).ToList());

    private static DatasetRecord Finished(DatasetRecord d) =>
        d.Purged ? throw ApiException.BadRequest($"dataset '{d.Name}' is purged and cannot be in a collection") : d;

    private static string Where(string path) => path.Length == 0 ? "" : $"in {path.TrimEnd('/')}: ";
}
