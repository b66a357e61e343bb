using System.Text.Json.Nodes;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Api;

/// <summary>
/// Galaxy's job search: does a job of the tool have these values? The request's inputs are read in any of Galaxy's
/// forms (nested 21.01 objects, legacy "section|name" keys) and compared by each value's own name.
/// </summary>
public static class JobSearch
{
    /// <summary>Each value by its own name: datasets as their ids, anything else as text.</summary>
    public static Dictionary<string, object> Leaves(JsonObject inputs, Access access)
    {
        var leaves = new Dictionary<string, object>();
        void Walk(JsonObject node)
        {
            foreach (var (key, value) in node)
            {
                var name = key[(key.LastIndexOf('|') + 1)..];
                switch (value)
                {
                    case JsonObject o when o.ContainsKey("src") || o.ContainsKey("values"):
                        leaves[name] = DatasetIds(o, access);
                        break;
                    case JsonObject nested:
                        Walk(nested);
                        break;
                    default:
                        leaves[name] = value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "";
                        break;
                }
            }
        }
        Walk(inputs);
        return leaves;
    }

    public static bool Matches(JobRecord job, Dictionary<string, object> wanted)
    {
        var parameters = GalaxyViews.JobParameters(job);
        var inputs = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, List<long>>>(job.Inputs)!;
        return wanted.All(w => w.Value switch
        {
            List<long> ids => inputs.TryGetValue(w.Key, out var had) && had.SequenceEqual(ids),
            string text => parameters.TryGetValue(w.Key, out var value) && value == text,
            _ => false,
        });
    }

    private static List<long> DatasetIds(JsonObject reference, Access access) =>
        reference["values"] is JsonArray values
            ? values.OfType<JsonObject>().SelectMany(v => DatasetIds(v, access)).ToList()
            : [access.Decode("dataset", reference["id"]?.ToString())];
}
