using Ganymede.Server.Storage;

namespace Ganymede.Server.Api;

/// <summary>The JSON shapes Galaxy returns for dataset collections: the contents item, and the detail with its elements (nested ones included).</summary>
public sealed class CollectionViews(IdCodec ids, CollectionStore collections, DatasetStore datasets, GalaxyViews views)
{
    public Dictionary<string, object?> Item(HistoryCollectionRecord c)
    {
        string id = ids.Encode(c.Id), historyId = ids.Encode(c.HistoryId);
        var elements = collections.Elements(c.CollectionId);
        return new()
        {
            ["id"] = id, ["type_id"] = $"dataset_collection-{id}", ["name"] = c.Name, ["history_id"] = historyId, ["hid"] = c.Hid,
            ["history_content_type"] = "dataset_collection", ["type"] = "collection", ["collection_type"] = collections.CollectionType(c.CollectionId),
            ["collection_id"] = ids.Encode(c.CollectionId), ["populated_state"] = "ok", ["populated_state_message"] = null, ["populated"] = true,
            ["element_count"] = elements.Count, ["deleted"] = c.Deleted, ["visible"] = c.Visible, ["tags"] = Array.Empty<string>(),
            ["job_source_id"] = c.CreatingJobId is { } job ? ids.Encode(job) : null, ["job_source_type"] = c.CreatingJobId is null ? null : "Job",
            ["url"] = $"/api/histories/{historyId}/contents/dataset_collections/{id}", ["create_time"] = c.CreateTime, ["update_time"] = c.UpdateTime,
        };
    }

    public Dictionary<string, object?> Detail(HistoryCollectionRecord c)
    {
        var view = Item(c);
        view["model_class"] = "HistoryDatasetCollectionAssociation";
        view["elements"] = Elements(c.CollectionId);
        view["contents_url"] = $"/api/dataset_collections/{ids.Encode(c.Id)}/contents/{ids.Encode(c.CollectionId)}";
        return view;
    }

    private List<Dictionary<string, object?>> Elements(long collectionId) =>
        collections.Elements(collectionId).Select(e => new Dictionary<string, object?>
        {
            ["id"] = ids.Encode(e.Id), ["model_class"] = "DatasetCollectionElement", ["element_index"] = e.ElementIndex, ["element_identifier"] = e.ElementIdentifier,
            ["element_type"] = e.DatasetId is null ? "dataset_collection" : "hda",
            ["object"] = e.DatasetId is { } d ? views.Dataset(datasets.Get(d)!) : Nested(e.ChildCollectionId!.Value),
        }).ToList();

    private Dictionary<string, object?> Nested(long collectionId)
    {
        var elements = Elements(collectionId);
        return new()
        {
            ["id"] = ids.Encode(collectionId), ["model_class"] = "DatasetCollection", ["collection_type"] = collections.CollectionType(collectionId),
            ["populated_state"] = "ok", ["element_count"] = elements.Count, ["elements"] = elements,
        };
    }
}
