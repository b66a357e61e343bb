namespace Ganymede.Server.Jobs;

// Galaxy's small text tools, which every Galaxy has and scripts (and BioBlend's tests) take for granted. They run as
// any tool does: in the job sandbox, with its limits. File names reach the shell as arguments ("$@"), never as text
// of the command, so a dataset's name cannot become a command.

/// <summary>cat1: the chosen datasets, one after another, in one dataset.</summary>
public sealed class ConcatenateTool : LineTool
{
    public override string Id => "cat1";
    public override string Name => "Concatenate datasets";
    public override string Description => "tail-to-head";
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("input1", "data", "Concatenate Dataset", Multiple: true),
        new("input2", "data", "Dataset", Optional: true, Multiple: true, Help: "added after the first ones (Galaxy's queries_0|input2)"),
    ];
    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("out_file1", "auto", "Concatenated datasets", "out_file1")];

    public override IReadOnlyList<string[]> Commands(JobContext job) =>
        [["/bin/bash", "-c", "cat -- \"$@\" > outputs/out_file1", "cat1", .. Paths(job, "input1"), .. Paths(job, "input2")]];

    internal static IEnumerable<string> Paths(JobContext job, string input) =>
        job.Inputs.TryGetValue(input, out var staged) ? staged.Select(s => s.Path) : [];
}

/// <summary>random_lines1: some lines of a dataset chosen at random, in their order; with a seed, the same lines every time.</summary>
public sealed class RandomLinesTool : LineTool
{
    public override string Id => "random_lines1";
    public override string Name => "Select random lines";
    public override string Description => "from a file";
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("num_lines", "integer", "Randomly select", Default: 1, Min: 0, Help: "lines"),
        new("input", "data", "from"),
        new("seed_source_selector", "select", "Set a random seed", Optional: true, Default: "no_seed", Options: ["no_seed", "set_seed"], Conditional: "seed_source"),
        new("seed", "text", "Random seed", Optional: true, Help: "with set_seed: the same seed selects the same lines", Conditional: "seed_source"),
    ];
    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("out_file1", "auto", "Selected lines", "out_file1")];

    // Python's Random seeded with the text: a fixed choice for a seed, a fresh one without.
    private const string Program = """
        import random, sys
        count, seed, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        with open(path, "rb") as f:
            lines = f.readlines()
        chosen = sorted(random.Random(seed or None).sample(range(len(lines)), min(count, len(lines))))
        with open("outputs/out_file1", "wb") as out:
            out.writelines(lines[i] for i in chosen)
        """;

    public override IReadOnlyList<string[]> Commands(JobContext job)
    {
        string seed = job.Parameter("seed_source_selector", "no_seed") == "set_seed" ? job.Parameter("seed", "") : "";
        return [["/usr/bin/python3", "-c", Program.Replace("\n        ", "\n", StringComparison.Ordinal), job.Parameter("num_lines", "1"), seed, job.Input("input").Path]];
    }
}

/// <summary>Show beginning1: the first lines of a dataset.</summary>
public sealed class ShowBeginningTool : LineTool
{
    public override string Id => "Show beginning1";
    public override string Name => "Select first";
    public override string Description => "lines from a dataset";
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("lineNum", "integer", "Select first", Default: 10, Min: 0, Help: "lines"),
        new("input", "data", "from"),
    ];
    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("out_file1", "auto", "First lines", "out_file1")];

    public override IReadOnlyList<string[]> Commands(JobContext job) =>
        [["/bin/bash", "-c", "head -n \"$1\" -- \"$2\" > outputs/out_file1", "head", job.Parameter("lineNum", "10"), job.Input("input").Path]];
}

/// <summary>Paste1: two datasets side by side, line by line, joined by a delimiter (Galaxy's "Paste two files side by side").</summary>
public sealed class PasteTool : LineTool
{
    private static readonly Dictionary<string, string> Delimiters = new()
    {
        ["T"] = "\t", ["Dt"] = ".", ["C"] = ",", ["D"] = "-", ["U"] = "_", ["P"] = "|", ["Sp"] = " ",
    };

    public override string Id => "Paste1";
    public override string Version => "1.0.0";
    public override string Name => "Paste";
    public override string Description => "two files side by side";
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("input1", "data", "Paste"),
        new("input2", "data", "and"),
        new("delimiter", "select", "Delimited by", Default: "T", Options: [.. Delimiters.Keys], Help: "T tab, Dt dot, C comma, D dash, U underscore, P pipe, Sp space"),
    ];
    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("out_file1", "auto", "Pasted", "out_file1")];

    public override IReadOnlyList<string[]> Commands(JobContext job) =>
        [["/bin/bash", "-c", "paste -d \"$1\" -- \"$2\" \"$3\" > outputs/out_file1", "paste", Delimiters[job.Parameter("delimiter", "T")], job.Input("input1").Path, job.Input("input2").Path]];
}

/// <summary>A tool that reads and writes lines of text: one core is all its jobs use.</summary>
public abstract class LineTool : Tool
{
    public override JobResources Resources(JobResources server) => server with { Cores = 1 };
}
