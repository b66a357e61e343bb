namespace Ganymede.Storage;

/// <summary>
/// Raw memory behind one or more tensors (a tensor and its views share one storage). It knows
/// nothing of shapes or gradients: that is the <see cref="Tensor"/>'s business. Reference-counted by
/// the tensors that use it; when the last one is disposed, the array goes back to the pool.
/// </summary>
public sealed class TensorStorage
{
    private int _refs;

    private TensorStorage(DType dtype, Array data)
    {
        DType = dtype;
        Data = data;
    }

    public DType DType { get; }

    /// <summary>float[] for Float32, long[] for Int64, byte[] for UInt8 and Bool.</summary>
    public Array Data { get; private set; }

    public int Length => Data.Length;

    /// <summary>
    /// How many times the memory was changed in place (PyTorch's version counter, shared by every view of it). Autograd
    /// compares it with what it saw when it recorded an operation, and a tensor's blocked copy with what it was made from.
    /// </summary>
    public int Version => Volatile.Read(ref _version);

    private int _version;

    internal void BumpVersion() => Interlocked.Increment(ref _version);

    public static TensorStorage Allocate(DType dtype, long length, bool clear = true)
    {
        if (length > Array.MaxLength)
            throw new ShapeException($"tensor of {length} elements is larger than one storage can hold ({Array.MaxLength})");
        int n = (int)length;
        Array data = dtype switch
        {
            DType.Float32 => BufferPool.Rent<float>(n, clear),
            DType.Int64 => BufferPool.Rent<long>(n, clear),
            _ => BufferPool.Rent<byte>(n, clear),
        };
        return new TensorStorage(dtype, data);
    }

    public static TensorStorage Wrap(DType dtype, Array data) => new(dtype, data);

    public float[] Floats => Data as float[] ?? throw Released();

    public long[] Longs => Data as long[] ?? throw Released();

    public byte[] Bytes => Data as byte[] ?? throw Released();

    internal void AddRef() => Interlocked.Increment(ref _refs);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0 || Data is null) return;
        switch (Data)
        {
            case float[] f: BufferPool.Return(f); break;
            case long[] l: BufferPool.Return(l); break;
            case byte[] b: BufferPool.Return(b); break;
        }
        Data = null!;
    }

    private static ObjectDisposedException Released() =>
        new(nameof(TensorStorage), "the tensor's memory was released (disposed, or its dispose scope ended)");
}
