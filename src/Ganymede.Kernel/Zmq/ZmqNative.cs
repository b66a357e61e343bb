using System.Reflection;
using System.Runtime.InteropServices;

namespace Ganymede.Kernel.Zmq;

/// <summary>libzmq (Debian's libzmq5) through P/Invoke: the few calls a Jupyter kernel needs.</summary>
internal static unsafe partial class ZmqNative
{
    private const string Library = "zmq";
    public const int PUB = 1, REP = 4, ROUTER = 6;
    public const int DONTWAIT = 1, SNDMORE = 2, POLLIN = 1;
    public const int LINGER = 17, LAST_ENDPOINT = 32;
    public const int EINTR = 4, EAGAIN = 11, ETERM = 156384712 + 53;

    static ZmqNative() => NativeLibrary.SetDllImportResolver(typeof(ZmqNative).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in new[] { "libzmq.so.5", "libzmq.so" })
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        throw new DllNotFoundException("native library libzmq.so.5 was not found: install the Debian package libzmq5 (apt-get install libzmq5)");
    }

    /// <summary>zmq_msg_t: 64 opaque bytes, pointer-aligned; never copied once initialised.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Message
    {
        private fixed long _data[8];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollItem
    {
        public IntPtr Socket;
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Library)] public static partial IntPtr zmq_ctx_new();
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_ctx_shutdown(IntPtr context);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_ctx_term(IntPtr context);
    [LibraryImport(Library, SetLastError = true)] public static partial IntPtr zmq_socket(IntPtr context, int type);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_close(IntPtr socket);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_setsockopt(IntPtr socket, int option, void* value, nuint length);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_getsockopt(IntPtr socket, int option, void* value, nuint* length);
    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int zmq_bind(IntPtr socket, string endpoint);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_msg_init(Message* message);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_msg_init_size(Message* message, nuint size);
    [LibraryImport(Library)] public static partial void* zmq_msg_data(Message* message);
    [LibraryImport(Library)] public static partial nuint zmq_msg_size(Message* message);
    [LibraryImport(Library)] public static partial int zmq_msg_more(Message* message);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_msg_recv(Message* message, IntPtr socket, int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_msg_send(Message* message, IntPtr socket, int flags);
    [LibraryImport(Library)] public static partial int zmq_msg_close(Message* message);
    [LibraryImport(Library, SetLastError = true)] public static partial int zmq_poll(PollItem* items, int count, long timeoutMs);
    [LibraryImport(Library)] public static partial IntPtr zmq_strerror(int error);

    public static string Error(int code) => Marshal.PtrToStringUTF8(zmq_strerror(code)) ?? $"error {code}";
}
