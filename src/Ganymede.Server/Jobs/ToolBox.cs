namespace Ganymede.Server.Jobs;

/// <summary>The server's tools by id. upload1 and __DATA_FETCH__ are Galaxy's upload tools: listed, but run by the upload endpoints themselves.</summary>
public sealed class ToolBox
{
    private readonly Dictionary<string, Tool> _tools;
    // The original notebooks call run_script_job(..., tool_name="run_jupyter_job"); it names the same tool here.
    private static readonly Dictionary<string, string> Aliases = new() { ["run_jupyter_job"] = "ganymede_run_script" };

    public ToolBox(IEnumerable<Tool> tools) => _tools = tools.ToDictionary(t => t.Id);

    public static ToolBox BuiltIn() => new([new UploadTool(), new DataFetchTool(), new RunScriptTool(), new PackTool(), new TrainUnetTool(), new PredictTool(), new Sessions.NotebookTool(),
        new ConcatenateTool(), new RandomLinesTool(), new ShowBeginningTool(), new PasteTool()]);

    public IEnumerable<Tool> All => _tools.Values;

    public Tool? Find(string id) =>
        _tools.TryGetValue(id, out var tool) ? tool : Aliases.TryGetValue(id, out var real) ? _tools[real] : null;
}

/// <summary>Galaxy's upload1: a file (multipart) or pasted text into a history. Handled by POST /api/tools directly.</summary>
public sealed class UploadTool : Tool
{
    public override string Id => "upload1";
    public override string Name => "Upload File";
    public override string Description => "from your computer";
    public override bool Runnable => false;
    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("file_type", "select", "Type", Optional: true, Default: "auto", Options: ["auto", .. Services.DatasetInspector.Known]),
        new("files_0|file_data", "data", "File", Optional: true),
        new("files_0|url_paste", "text", "Pasted text", Optional: true),
        new("files_0|NAME", "text", "Name", Optional: true),
    ];
    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("output0", "auto", "Uploaded dataset", "")];
    public override IReadOnlyList<string[]> Commands(JobContext job) => throw new InvalidOperationException("uploads are stored by the upload endpoint");
}

/// <summary>Galaxy's __DATA_FETCH__: the tus uploads of newer clients, turned into datasets by POST /api/tools/fetch.</summary>
public sealed class DataFetchTool : Tool
{
    public override string Id => "__DATA_FETCH__";
    public override string Name => "Data Fetch";
    public override string Description => "uploaded files into a history";
    public override bool Hidden => true;
    public override bool Runnable => false;
    public override IReadOnlyList<ToolInput> Inputs { get; } = [new("targets", "text", "Targets")];
    public override IReadOnlyList<ToolOutput> Outputs { get; } = [new("output0", "auto", "Fetched dataset", "")];
    public override IReadOnlyList<string[]> Commands(JobContext job) => throw new InvalidOperationException("fetches are stored by the fetch endpoint");
}
