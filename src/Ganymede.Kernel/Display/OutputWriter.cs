using System.Text;

namespace Ganymede.Kernel.Display;

/// <summary>
/// Console output of cells as iopub stream messages: buffered, sent at line ends (at most every 50 ms) and when
/// the cell ends. A cell that prints without end is cut off after <see cref="CellLimit"/> characters with a notice,
/// so the kernel and the front end stay responsive.
/// </summary>
public sealed class OutputWriter(string name, Action<string, string> send) : TextWriter
{
    public const int CellLimit = 8 << 20;
    private readonly StringBuilder _buffer = new();
    private readonly Lock _lock = new();
    private long _written;
    private bool _truncated;
    private long _lastFlush = Environment.TickCount64;

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Starts a new cell's count (called before each execution).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _written = 0;
            _truncated = false;
        }
    }

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        lock (_lock)
        {
            if (_truncated) return;
            if (_written + value.Length > CellLimit)
            {
                _buffer.Append(value.AsSpan(0, (int)Math.Max(0, CellLimit - _written)));
                _buffer.Append($"\n[output truncated: this cell printed more than {CellLimit:N0} characters; the rest is discarded]\n");
                _truncated = true;
                FlushLocked();
                return;
            }
            _written += value.Length;
            _buffer.Append(value);
            if (_buffer.Length > 64 << 10 || (value.Contains('\n', StringComparison.Ordinal) && Environment.TickCount64 - _lastFlush > 50)) FlushLocked();
        }
    }

    public override void WriteLine(string? value) => Write(value + "\n");

    public override void Flush()
    {
        lock (_lock) FlushLocked();
    }

    private void FlushLocked()
    {
        if (_buffer.Length == 0) return;
        var text = _buffer.ToString();
        _buffer.Clear();
        _lastFlush = Environment.TickCount64;
        send(name, text);
    }
}
