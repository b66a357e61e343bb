using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ganymede.Server.Jobs;

/// <summary>
/// Galaxy's job resource parameters: a tool's jobs get its default resources (<see cref="Tool.Resources"/>), unless the
/// user asks for others in the tool's `__job_resource` section (cores, memory in GiB, time in hours, GPUs), within the
/// maxima the administrator set (`serve --job-resource-max`). As in Galaxy, where the section appears only for tools its
/// administrator gave job resource parameters, forms show it only once those maxima are set. A request beyond them is
/// refused when the job is submitted; the request is kept in the job's parameters, so that a rerun asks for the same.
/// </summary>
public sealed class ResourceRequests(ServerOptions options)
{
    public const string Section = "__job_resource", Select = "__job_resource__select";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Whether users may ask for resources at all: the administrator set the maxima.</summary>
    public bool Offered => options.MaxResources is not null;

    /// <summary>What `--job-resource-max` leaves out: this machine's cores and GPUs, and the job limits' memory and time.</summary>
    public static JobResources MachineMaxima(JobLimits limits, IReadOnlyList<string> gpus) =>
        new(Cores.Allowed().Count, limits.MemoryBytes, limits.WallTime, gpus.Count);

    /// <summary>What the tool's jobs get unless the user asks for more: the tool's own choice from the server's defaults.</summary>
    public JobResources Defaults(Tool tool)
    {
        var limits = options.LimitsFor(tool.Id);
        return tool.Resources(new JobResources(options.SlotsPerJob, limits.MemoryBytes, limits.WallTime, Gpus: 0));
    }

    /// <summary>The most a job of the tool may ask for: the administrator's maxima, or the tool's defaults where those are more.</summary>
    private JobResources Maxima(Tool tool) => options.MaxResources!.AtLeast(Defaults(tool));

    /// <summary>The section's inputs as the tool's form shows them (a Galaxy conditional: "no" keeps the defaults); none unless <see cref="Offered"/>.</summary>
    public IReadOnlyList<ToolInput> Inputs(Tool tool)
    {
        if (!Offered || !tool.Runnable) return [];
        var (defaults, most) = (Defaults(tool), Maxima(tool));
        return
        [
            new(Select, "select", "Job resource parameters", Default: "no", Options: ["no", "yes"], Conditional: Section,
                Help: $"no: this tool's defaults ({defaults}); yes: ask for other resources"),
            new("cores", "integer", "Cores", Default: defaults.Cores, Min: 1, Max: most.Cores, Conditional: Section),
            new("memory", "float", "Memory (GiB)", Default: Gib(defaults.MemoryBytes), Min: Gib(MinimumMemory), Max: Gib(most.MemoryBytes), Conditional: Section),
            new("time", "float", "Wall time (hours)", Default: defaults.WallTime.TotalHours, Min: 1.0 / 60, Max: most.WallTime.TotalHours, Conditional: Section),
            new("gpus", "integer", "GPUs", Default: defaults.Gpus, Min: 0, Max: most.Gpus, Conditional: Section),
        ];
    }

    /// <summary>
    /// The request in a submission's inputs (nested, {"__job_resource": {"__job_resource__select": "yes", "cores": 4}}, or
    /// flat, "__job_resource|cores"), checked against the maxima and kept whole; null where the user keeps the defaults.
    /// </summary>
    public JsonObject? Parse(Tool tool, JsonObject inputs)
    {
        var section = inputs[Section] as JsonObject ?? new JsonObject();
        foreach (var (key, value) in inputs)
            if (key.StartsWith(Section + "|", StringComparison.Ordinal)) section[key[(Section.Length + 1)..]] = value?.DeepClone();
        var choice = section[Select]?.ToString();
        if (choice is null or "" or "no") return null;
        if (choice != "yes") throw ApiException.InvalidInput($"{Section}|{Select}", $"{Select} is '{choice}': expected yes or no");
        if (!Offered)
            throw ApiException.InvalidInput($"{Section}|{Select}", "this server takes no job resource requests: every job gets its tool's defaults (the administrator offers them with serve --job-resource-max)");

        var wrong = new Dictionary<string, string>();
        var request = new JsonObject { [Select] = "yes" };
        foreach (var input in Inputs(tool).Skip(1))
        {
            var node = section[input.Name];
            if (node is null || node.ToString() == "") continue;
            var text = node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
            bool whole = input.Type == "integer";
            if (!double.TryParse(text, whole ? NumberStyles.Integer : NumberStyles.Float, Invariant, out double value) || !double.IsFinite(value))
                wrong[$"{Section}|{input.Name}"] = $"{input.Label}: '{text}' is not {(whole ? "a whole number" : "a number")}";
            else if (value > input.Max)
                wrong[$"{Section}|{input.Name}"] = $"{input.Label}: {text} is more than a job of {tool.Name} may ask for here (at most {Number(input.Max.Value)})";
            else if (value < input.Min)
                wrong[$"{Section}|{input.Name}"] = $"{input.Label}: {text} is less than a job needs (at least {Number(input.Min!.Value)})";
            else request[input.Name] = whole ? (long)value : value;
        }
        if (wrong.Count > 0) throw ApiException.InvalidInputs(wrong);
        return request;
    }

    /// <summary>What a job gets: its tool's defaults with its request (kept in its parameters) in their place.</summary>
    public JobResources For(Tool tool, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var resources = Defaults(tool);
        if (parameters.GetValueOrDefault(Section) is not JsonObject request) return resources;
        double? Value(string name) => request[name] is JsonValue v && v.TryGetValue<double>(out double d) ? d : null;
        return resources with
        {
            Cores = Value("cores") is { } cores ? (int)cores : resources.Cores,
            MemoryBytes = Value("memory") is { } memory ? (long)(memory * (1L << 30)) : resources.MemoryBytes,
            WallTime = Value("time") is { } hours ? TimeSpan.FromHours(hours) : resources.WallTime,
            Gpus = Value("gpus") is { } gpus ? (int)gpus : resources.Gpus,
        };
    }

    private const long MinimumMemory = 128L << 20;

    private static double Gib(long bytes) => Math.Round(bytes / (double)(1L << 30), 3);

    private static string Number(double value) => value.ToString("0.###", Invariant);
}
