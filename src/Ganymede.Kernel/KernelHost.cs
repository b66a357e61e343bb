using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Ganymede.Kernel.Display;
using Ganymede.Kernel.Execution;
using Ganymede.Kernel.Protocol;
using Ganymede.Kernel.Zmq;

namespace Ganymede.Kernel;

/// <summary>
/// The kernel process: binds the five channels of the connection file and serves them, each socket on a thread
/// of its own (heartbeat, control, shell); iopub is shared behind a lock. Every shell request is wrapped in
/// busy/idle status messages. Cells run on a worker task, so control (interrupt, shutdown) is answered while one runs.
/// </summary>
public sealed partial class KernelHost : IDisplaySink, IDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly MessageCodec _codec;
    private readonly ZmqContext _context = new();
    private readonly ZmqSocket _shell, _control, _iopub, _stdin, _heartbeat;
    private readonly Lock _iopubLock = new();
    private readonly TextWriter _log;
    private readonly OutputWriter _stdout, _stderr;
    private readonly KernelShell _handlers;
    private volatile bool _stopping;
    private volatile JupyterMessage? _currentParent;

    public KernelHost(ConnectionInfo connection, TextWriter log)
    {
        _connection = connection;
        _log = log;
        _codec = new MessageCodec(System.Text.Encoding.UTF8.GetBytes(connection.Key), Guid.NewGuid().ToString());
        (_shell, _control, _stdin) = (new ZmqSocket(_context, ZmqSocket.Router), new ZmqSocket(_context, ZmqSocket.Router), new ZmqSocket(_context, ZmqSocket.Router));
        _iopub = new ZmqSocket(_context, ZmqSocket.Pub);
        _heartbeat = new ZmqSocket(_context, ZmqSocket.Rep);
        _shell.Bind(connection.Endpoint(connection.ShellPort));
        _control.Bind(connection.Endpoint(connection.ControlPort));
        _stdin.Bind(connection.Endpoint(connection.StdinPort));
        _iopub.Bind(connection.Endpoint(connection.IopubPort));
        _heartbeat.Bind(connection.Endpoint(connection.HbPort));
        _stdout = new OutputWriter("stdout", Stream);
        _stderr = new OutputWriter("stderr", Stream);
        _handlers = new KernelShell(this, new CSharpEngine(new KernelGlobals(this)));
    }

    internal OutputWriter Stdout => _stdout;
    internal OutputWriter Stderr => _stderr;
    internal JupyterMessage? CurrentParent { get => _currentParent; set => _currentParent = value; }

    /// <summary>Serves until a shutdown request (or the parent process is gone); returns the exit code.</summary>
    public int Run()
    {
        Console.SetOut(_stdout);
        Console.SetError(_stderr);
        Console.SetIn(TextReader.Null);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true; // SIGINT is Jupyter's interrupt, not a reason to exit
            _handlers.Interrupt();
        });
        Publish("status", new JsonObject { ["execution_state"] = "starting" }, null);
        var threads = new[]
        {
            Start("heartbeat", () => Serve(_heartbeat, frames => _heartbeat.Send(frames))),
            Start("control", () => Serve(_control, frames => Dispatch(_control, frames, control: true))),
            Start("parent-watch", WatchParent),
        };
        _handlers.WarmUp();
        Serve(_shell, frames => Dispatch(_shell, frames, control: false));
        _stdout.Flush();
        _stderr.Flush();
        _context.Shutdown();
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(2));
        return 0;
    }

    public void Stop() => _stopping = true;

    private static Thread Start(string name, Action loop)
    {
        var thread = new Thread(() => loop()) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>A socket's loop: poll with a timeout so that a shutdown is noticed, handle each message.</summary>
    private void Serve(ZmqSocket socket, Action<List<byte[]>> handle)
    {
        try
        {
            while (!_stopping)
            {
                if (!socket.Poll(200)) continue;
                var frames = socket.Receive();
                try
                {
                    handle(frames);
                }
                catch (Exception e) when (e is not ZmqTerminatedException)
                {
                    Log($"error handling a message: {e}");
                }
            }
        }
        catch (ZmqTerminatedException)
        {
        }
    }

    private void Dispatch(ZmqSocket socket, List<byte[]> frames, bool control)
    {
        var request = _codec.Decode(frames, out var problem);
        if (request is null)
        {
            Log($"dropped a message on {(control ? "control" : "shell")}: {problem}");
            return;
        }
        void Reply(string type, JsonObject content) => socket.Send(_codec.Encode(_codec.Create(type, content, request)));
        if (control)
        {
            _handlers.HandleControl(request, Reply);
            return;
        }
        Publish("status", new JsonObject { ["execution_state"] = "busy" }, request);
        try
        {
            _handlers.HandleShell(request, Reply);
        }
        finally
        {
            Publish("status", new JsonObject { ["execution_state"] = "idle" }, request);
        }
    }

    /// <summary>Broadcasts on iopub (from the shell thread, a cell's threads, or the display calls).</summary>
    internal void Publish(string type, JsonObject content, JupyterMessage? parent)
    {
        var message = _codec.Create(type, content, parent, [System.Text.Encoding.UTF8.GetBytes($"kernel.{_codec.Session}.{type}")]);
        var frames = _codec.Encode(message);
        lock (_iopubLock)
        {
            try { _iopub.Send(frames); }
            catch (ZmqTerminatedException) { }
        }
    }

    private void Stream(string name, string text) => Publish("stream", new JsonObject { ["name"] = name, ["text"] = text }, _currentParent);

    public void Display(MimeBundle bundle, string displayId, bool update)
    {
        _stdout.Flush();
        _stderr.Flush();
        Publish(update ? "update_display_data" : "display_data", new JsonObject
        {
            ["data"] = bundle.DataJson(), ["metadata"] = bundle.Metadata.DeepClone(), ["transient"] = new JsonObject { ["display_id"] = displayId },
        }, _currentParent);
    }

    public void Clear(bool wait)
    {
        _stdout.Flush();
        _stderr.Flush();
        Publish("clear_output", new JsonObject { ["wait"] = wait }, _currentParent);
    }

    /// <summary>Exits when the process that started the kernel is gone (Jupyter gives its pid in JPY_PARENT_PID), as ipykernel does.</summary>
    private void WatchParent()
    {
        int original = getppid();
        int.TryParse(Environment.GetEnvironmentVariable("JPY_PARENT_PID"), out int jupyter);
        while (!_stopping)
        {
            Thread.Sleep(1000);
            bool gone = getppid() != original || (jupyter > 1 && !Directory.Exists($"/proc/{jupyter}"));
            if (!gone) continue;
            Log("the parent process is gone; exiting");
            Environment.Exit(0);
        }
    }

    internal void Log(string message)
    {
        lock (_log) _log.WriteLine($"[ganymede kernel {DateTime.Now:HH:mm:ss}] {message}");
        _log.Flush();
    }

    public void Dispose()
    {
        foreach (var s in new[] { _shell, _control, _stdin, _iopub, _heartbeat }) s.Dispose();
        _context.Dispose();
    }

    [LibraryImport("libc")]
    private static partial int getppid();
}
