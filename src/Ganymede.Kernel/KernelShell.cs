using System.Globalization;
using System.Text.Json.Nodes;
using Ganymede.Kernel.Display;
using Ganymede.Kernel.Execution;
using Ganymede.Kernel.Protocol;
using Ganymede.Scripting;

namespace Ganymede.Kernel;

/// <summary>The kernel's answers to each request type (shell and control), in Jupyter protocol 5.3.</summary>
internal sealed class KernelShell(KernelHost host, CSharpEngine engine)
{
    /// <summary>How long an interrupted cell may take to stop at its next loop check before it is abandoned.</summary>
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(3);
    private readonly List<(int Line, string Code, string? Output)> _history = [];
    private int _executionCount;
    private readonly Lock _interruptGate = new();
    private CancellationTokenSource? _running; // the interrupt of the cell that runs now, if one does

    /// <summary>Loads the compiler in the background while the front end connects, so the first cell does not wait for it.</summary>
    public void WarmUp() => Task.Run(() => Microsoft.CodeAnalysis.CSharp.Scripting.CSharpScript.Create("1").Compile());

    /// <summary>Interrupts the running cell, if any (called from the control channel and the SIGINT handler).</summary>
    public void Interrupt()
    {
        lock (_interruptGate)
        {
            _running?.Cancel();
        }
    }

    public void HandleControl(JupyterMessage request, Action<string, JsonObject> reply)
    {
        switch (request.Type)
        {
            case "shutdown_request":
                reply("shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = request.Content["restart"]?.GetValue<bool>() ?? false });
                host.Stop();
                break;
            case "interrupt_request":
                Interrupt();
                reply("interrupt_reply", new JsonObject { ["status"] = "ok" });
                break;
            case "kernel_info_request":
                reply("kernel_info_reply", KernelInfo());
                break;
            default:
                host.Log($"ignored control message {request.Type}");
                break;
        }
    }

    public void HandleShell(JupyterMessage request, Action<string, JsonObject> reply)
    {
        var c = request.Content;
        switch (request.Type)
        {
            case "kernel_info_request": reply("kernel_info_reply", KernelInfo()); break;
            case "execute_request": reply("execute_reply", Execute(request)); break;
            case "is_complete_request": reply("is_complete_reply", new JsonObject { ["status"] = CSharpEngine.IsComplete(Text(c, "code")) }); break;
            case "complete_request": reply("complete_reply", Complete(Text(c, "code"), c["cursor_pos"]?.GetValue<int>() ?? 0)); break;
            case "inspect_request": reply("inspect_reply", Inspect(Text(c, "code"), c["cursor_pos"]?.GetValue<int>() ?? 0)); break;
            case "comm_info_request": reply("comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() }); break;
            case "history_request": reply("history_reply", History(c)); break;
            case "shutdown_request":
                reply("shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = c["restart"]?.GetValue<bool>() ?? false });
                host.Stop();
                break;
            case "comm_open": break; // no widgets: the comm is simply not opened
            default: host.Log($"ignored shell message {request.Type}"); break;
        }
    }

    private static string Text(JsonObject content, string name) => content[name]?.GetValue<string>() ?? "";

    private static JsonObject KernelInfo() => new()
    {
        ["status"] = "ok", ["protocol_version"] = "5.3", ["implementation"] = "ganymede",
        ["implementation_version"] = typeof(KernelShell).Assembly.GetName().Version?.ToString() ?? "1.0",
        ["language_info"] = new JsonObject
        {
            ["name"] = "csharp", ["version"] = "13.0", ["mimetype"] = "text/x-csharp", ["file_extension"] = ".cs",
            ["pygments_lexer"] = "csharp", ["codemirror_mode"] = "text/x-csharp",
        },
        ["banner"] = "C# (Ganymede): the engine, formats, ONNX, segmentation and the server client are loaded.",
        ["help_links"] = new JsonArray(), ["debugger"] = false,
    };

    private JsonObject Execute(JupyterMessage request)
    {
        var code = Text(request.Content, "code");
        bool silent = request.Content["silent"]?.GetValue<bool>() ?? false;
        bool store = !silent && (request.Content["store_history"]?.GetValue<bool>() ?? true);
        if (store)
        {
            _executionCount++;
            _history.Add((_executionCount, code, null));
        }
        int count = _executionCount;
        host.Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count }, request);
        host.CurrentParent = request;
        host.Stdout.Reset();
        host.Stderr.Reset();
        using var interrupt = new CancellationTokenSource();
        lock (_interruptGate) _running = interrupt;
        using var abandon = new CancellationTokenSource();
        var cell = Task.Run(() => engine.ExecuteAsync(code, interrupt.Token, abandon.Token));
        while (!cell.Wait(100) && !(interrupt.IsCancellationRequested && !cell.Wait(InterruptGrace))) { }
        if (!cell.IsCompleted) abandon.Cancel(); // it would not stop: leave it, keep the kernel's state as before it
        lock (_interruptGate) _running = null;
        host.Stdout.Flush();
        host.Stderr.Flush();

        CellResult? result = cell.IsCompletedSuccessfully ? cell.Result : null;
        string? ename = null, evalue = null;
        var traceback = new JsonArray();
        if (result is null || interrupt.IsCancellationRequested && result.Exception is OperationCanceledException)
        {
            ename = "KeyboardInterrupt";
            evalue = result is null ? "the cell did not stop within 3 s of the interrupt and was abandoned; variables are as before it" : "the cell was interrupted";
            traceback.Add($"KeyboardInterrupt: {evalue}");
        }
        else if (result.Errors.Count > 0)
        {
            ename = "CompilationError";
            evalue = result.Errors[0].GetMessage(CultureInfo.InvariantCulture);
            foreach (var d in result.Errors)
            {
                var at = d.Location.GetLineSpan().StartLinePosition;
                traceback.Add($"line {at.Line + 1}, column {at.Character + 1}: error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}");
            }
        }
        else if (result.Exception is { } e)
        {
            ename = e.GetType().Name;
            evalue = e.Message;
            foreach (var line in ScriptSession.Describe(e).Split('\n')) traceback.Add(line);
        }
        if (ename is not null)
        {
            host.Publish("error", new JsonObject { ["ename"] = ename, ["evalue"] = evalue, ["traceback"] = traceback.DeepClone() }, request);
            return new JsonObject { ["status"] = "error", ["execution_count"] = count, ["ename"] = ename, ["evalue"] = evalue, ["traceback"] = traceback };
        }
        if (result!.HasValue && !silent)
        {
            var bundle = Formatters.Format(result.Value);
            if (store) _history[^1] = (count, code, bundle.Data["text/plain"]);
            host.Publish("execute_result", new JsonObject { ["execution_count"] = count, ["data"] = bundle.DataJson(), ["metadata"] = bundle.Metadata.DeepClone() }, request);
        }
        return new JsonObject { ["status"] = "ok", ["execution_count"] = count, ["payload"] = new JsonArray(), ["user_expressions"] = new JsonObject() };
    }

    private JsonObject Complete(string code, int cursorCodePoints)
    {
        int cursor = Utf16Index(code, cursorCodePoints);
        var (matches, start) = engine.Complete(code, cursor);
        return new JsonObject
        {
            ["status"] = "ok", ["matches"] = new JsonArray(matches.Select(m => (JsonNode)m).ToArray()),
            ["cursor_start"] = CodePoints(code, start), ["cursor_end"] = cursorCodePoints, ["metadata"] = new JsonObject(),
        };
    }

    private JsonObject Inspect(string code, int cursorCodePoints)
    {
        var text = engine.Inspect(code, Utf16Index(code, cursorCodePoints));
        return new JsonObject
        {
            ["status"] = "ok", ["found"] = text is not null,
            ["data"] = text is null ? new JsonObject() : new JsonObject { ["text/plain"] = text }, ["metadata"] = new JsonObject(),
        };
    }

    /// <summary>The cells run so far: the last n (tail), a range, or those matching a glob pattern (search); with output, each with its value's text.</summary>
    private JsonObject History(JsonObject c)
    {
        IEnumerable<(int Line, string Code, string? Output)> items = c["hist_access_type"]?.GetValue<string>() switch
        {
            "tail" => _history.TakeLast(c["n"]?.GetValue<int>() ?? 10),
            "range" => _history.Where(h => h.Line >= (c["start"]?.GetValue<int>() ?? 0) && h.Line < (c["stop"]?.GetValue<int?>() ?? int.MaxValue)),
            "search" => _history.Where(h => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(c["pattern"]?.GetValue<string>() ?? "*", h.Code)),
            _ => _history,
        };
        if (c["unique"]?.GetValue<bool>() == true) items = items.Reverse().DistinctBy(h => h.Code).Reverse();
        if (c["hist_access_type"]?.GetValue<string>() == "search" && c["n"]?.GetValue<int>() is int n) items = items.TakeLast(n);
        bool output = c["output"]?.GetValue<bool>() ?? false;
        return new JsonObject
        {
            ["status"] = "ok",
            ["history"] = new JsonArray(items.Select(h => (JsonNode)new JsonArray(0, h.Line, output ? new JsonArray(h.Code, h.Output) : h.Code)).ToArray()),
        };
    }

    /// <summary>Jupyter counts cursor positions in Unicode code points; C# strings index UTF-16 units.</summary>
    private static int Utf16Index(string text, int codePoints)
    {
        int index = 0;
        for (int n = 0; n < codePoints && index < text.Length; n++) index += char.IsHighSurrogate(text[index]) && index + 1 < text.Length ? 2 : 1;
        return index;
    }

    private static int CodePoints(string text, int utf16Index) =>
        text[..utf16Index].EnumerateRunes().Count();
}
