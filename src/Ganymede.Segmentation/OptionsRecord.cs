using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Ganymede.Segmentation;

/// <summary>
/// The training options a run was started with, as its checkpoints keep them (JSON, enums by name), and what a resume
/// would change.
/// </summary>
public static class OptionsRecord
{
    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public static string Serialize(TrainOptions options) => JsonSerializer.Serialize(options, Json);

    /// <summary>
    /// "Name: recorded → now" for each option that differs. Options the record lacks are taken as they are now (a run
    /// started before they existed); options only the record has are no longer options and are not compared.
    /// </summary>
    public static List<string> Differences(string recordedJson, TrainOptions now)
    {
        var recorded = JsonNode.Parse(recordedJson) as JsonObject ?? throw new InvalidDataException("the run's recorded options are not a JSON object");
        var current = JsonNode.Parse(Serialize(now))!.AsObject();
        var differences = new List<string>();
        foreach (var (name, value) in current)
        {
            if (!recorded.TryGetPropertyValue(name, out var old)) continue;
            string before = Text(old), after = Text(value);
            if (!string.Equals(before, after, StringComparison.OrdinalIgnoreCase)) differences.Add($"{name}: {before} → {after}");
        }
        return differences;
    }

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "null";
}
