using System.Runtime.InteropServices;
using static Ganymede.Kernel.Zmq.ZmqNative;

namespace Ganymede.Kernel.Zmq;

/// <summary>A libzmq context; shutting it down wakes every blocked socket call with ETERM.</summary>
public sealed class ZmqContext : IDisposable
{
    internal IntPtr Handle { get; } = zmq_ctx_new();

    public void Shutdown() => zmq_ctx_shutdown(Handle);

    public void Dispose() => zmq_ctx_term(Handle);
}

/// <summary>Thrown when the context was shut down: the socket's loop should end.</summary>
public sealed class ZmqTerminatedException() : Exception("the ZeroMQ context was shut down");

/// <summary>
/// One ZeroMQ socket, sending and receiving multipart messages as byte arrays. Not thread-safe: each socket
/// belongs to one thread (the kernel's iopub socket is shared behind a lock).
/// </summary>
public sealed unsafe class ZmqSocket : IDisposable
{
    private IntPtr _handle;

    public ZmqSocket(ZmqContext context, int type)
    {
        _handle = zmq_socket(context.Handle, type);
        if (_handle == IntPtr.Zero) throw Failure("zmq_socket");
        int linger = 0; // never hang at exit on unsent messages
        zmq_setsockopt(_handle, LINGER, &linger, sizeof(int));
    }

    public static int Pub => PUB;
    public static int Rep => REP;
    public static int Router => ROUTER;

    /// <summary>Binds and returns the endpoint actually bound (port 0 or * picks a free port).</summary>
    public string Bind(string endpoint)
    {
        if (zmq_bind(_handle, endpoint) != 0) throw Failure($"binding {endpoint}");
        var buffer = new byte[256];
        nuint length = (nuint)buffer.Length;
        fixed (byte* b = buffer) zmq_getsockopt(_handle, LAST_ENDPOINT, b, &length);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)length).TrimEnd('\0');
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for a message; false on timeout (or an interrupted wait).</summary>
    public bool Poll(int timeoutMs)
    {
        var item = new PollItem { Socket = _handle, Events = POLLIN };
        int n = zmq_poll(&item, 1, timeoutMs);
        if (n < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            if (error == ETERM) throw new ZmqTerminatedException();
            if (error == EINTR) return false;
            throw Failure("zmq_poll", error);
        }
        return n > 0 && (item.Revents & POLLIN) != 0;
    }

    /// <summary>Receives one whole multipart message (blocks; retries when a signal interrupts the wait).</summary>
    public List<byte[]> Receive()
    {
        var frames = new List<byte[]>();
        Message message;
        while (true)
        {
            zmq_msg_init(&message);
            if (zmq_msg_recv(&message, _handle, 0) < 0)
            {
                int error = Marshal.GetLastPInvokeError();
                zmq_msg_close(&message);
                if (error == EINTR) continue;
                if (error == ETERM) throw new ZmqTerminatedException();
                throw Failure("receiving", error);
            }
            var frame = new byte[(int)zmq_msg_size(&message)];
            new ReadOnlySpan<byte>(zmq_msg_data(&message), frame.Length).CopyTo(frame);
            bool more = zmq_msg_more(&message) != 0;
            zmq_msg_close(&message);
            frames.Add(frame);
            if (!more) return frames;
        }
    }

    public void Send(IReadOnlyList<byte[]> frames)
    {
        for (int i = 0; i < frames.Count; i++)
        {
            Message message;
            if (zmq_msg_init_size(&message, (nuint)frames[i].Length) != 0) throw Failure("zmq_msg_init_size");
            frames[i].CopyTo(new Span<byte>(zmq_msg_data(&message), frames[i].Length));
            while (zmq_msg_send(&message, _handle, i < frames.Count - 1 ? SNDMORE : 0) < 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error == EINTR) continue;
                zmq_msg_close(&message); // a failed send leaves the message ours to close
                if (error == ETERM) throw new ZmqTerminatedException();
                throw Failure("sending", error);
            }
        }
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        zmq_close(_handle);
        _handle = IntPtr.Zero;
    }

    private static IOException Failure(string what, int? error = null)
    {
        int code = error ?? Marshal.GetLastPInvokeError();
        return new IOException($"ZeroMQ {what}: {ZmqNative.Error(code)}");
    }
}
