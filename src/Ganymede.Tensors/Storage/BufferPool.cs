using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ganymede.Storage;

/// <summary>
/// Recycles pinned arrays by exact length. A training step allocates the same sizes every time,
/// so after the first step every buffer comes from here and memory stays flat. Arrays live on the
/// pinned object heap, so native libraries can use their addresses without copying, and an array
/// that is never returned is still collected by the GC (no leak, only a missed reuse).
/// </summary>
internal static class BufferPool
{
    private static readonly ConcurrentDictionary<(Type, int), ConcurrentBag<Array>> Free = new();
    private static long _pooledBytes;

    /// <summary>Upper bound on bytes kept for reuse; above it, returned arrays are left to the GC.</summary>
    public static long Capacity { get; set; } = 8L << 30;

    public static T[] Rent<T>(int length, bool clear) where T : unmanaged
    {
        if (length == 0) return [];
        if (Free.TryGetValue((typeof(T), length), out var bag) && bag.TryTake(out var array))
        {
            Interlocked.Add(ref _pooledBytes, -SizeOf<T>(length));
            var typed = (T[])array;
            if (clear) Array.Clear(typed);
            return typed;
        }
        return clear
            ? GC.AllocateArray<T>(length, pinned: true)
            : GC.AllocateUninitializedArray<T>(length, pinned: true);
    }

    /// <summary>
    /// <paramref name="length"/> elements that start on a cache line, inside a pooled array one cache line longer
    /// (give back its <c>Array</c>). oneDNN's kernels run measurably faster on such buffers than on ones that start
    /// anywhere on 8 bytes, which is all a managed array's start promises.
    /// </summary>
    public static unsafe ArraySegment<T> RentAligned<T>(int length) where T : unmanaged
    {
        var array = Rent<T>(length + CacheLine / sizeof(T), clear: false);
        // Arrays live on the pinned heap: the address stays put for as long as the array is rented.
        int misalignment = (int)((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)) & (CacheLine - 1));
        return new ArraySegment<T>(array, misalignment == 0 ? 0 : (CacheLine - misalignment) / sizeof(T), length);
    }

    public const int CacheLine = 64;

    public static void Return<T>(T[] array) where T : unmanaged
    {
        if (array.Length == 0) return;
        long bytes = SizeOf<T>(array.Length);
        if (Interlocked.Add(ref _pooledBytes, bytes) > Capacity)
        {
            Interlocked.Add(ref _pooledBytes, -bytes);
            return;
        }
        Free.GetOrAdd((typeof(T), array.Length), _ => []).Add(array);
    }

    private static unsafe long SizeOf<T>(int length) where T : unmanaged => (long)sizeof(T) * length;
}
