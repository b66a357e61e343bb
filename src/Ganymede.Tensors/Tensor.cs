using System.Text;
using Ganymede.Autograd;
using Ganymede.Ops;
using Ganymede.Storage;

namespace Ganymede;

/// <summary>
/// An n-dimensional array with a shape, strides into a shared <see cref="TensorStorage"/>, and the
/// autograd bookkeeping (<see cref="requires_grad"/>, <see cref="grad"/>, the node that made it).
/// Operations live in the partial files beside this one and in <see cref="F"/>; names follow PyTorch.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly int[] _shape;
    private readonly int[] _strides;
    private bool _disposed;

    private TensorStorage? _storage;
    private ArraySegment<float> _blocked; // no Array: no blocked memory
    private int _blockedVersion; // the storage's version the blocked copy was made from
    private readonly DType _dtype;

    internal Tensor(TensorStorage storage, int[] shape, int[] strides, long offset)
    {
        _storage = storage;
        _dtype = storage.DType;
        _shape = shape;
        _strides = strides;
        Offset = offset;
        storage.AddRef();
        DisposeScope.Track(this);
    }

    /// <summary>A float32 [N, C, H, W] tensor whose only memory is in the blocked nChw16c layout (see <see cref="Ops.BlockedLayout"/>).</summary>
    private Tensor(ArraySegment<float> blocked, int[] shape)
    {
        _blocked = blocked;
        _dtype = DType.Float32;
        _shape = shape;
        _strides = Shape.ContiguousStrides(shape);
        DisposeScope.Track(this);
    }

    /// <summary>A new contiguous tensor of the given shape; zero-filled unless <paramref name="clear"/> is false.</summary>
    internal static Tensor Empty(int[] shape, DType dtype = DType.Float32, bool clear = true)
    {
        foreach (var d in shape)
            if (d < 0) throw new ShapeException($"invalid shape {Shape.Format(shape)}: sizes must not be negative");
        return new Tensor(TensorStorage.Allocate(dtype, Shape.Numel(shape), clear), (int[])shape.Clone(), Shape.ContiguousStrides(shape), 0);
    }

    /// <summary>
    /// The plain (row-major, strided) memory. A tensor made in the blocked layout gets it on first use,
    /// by a reorder, so code that knows nothing of layouts always sees plain data.
    /// </summary>
    internal TensorStorage Storage => _storage ?? MaterializePlain();

    /// <summary>
    /// The nChw16c memory of a float32 [N, C, H, W] tensor with C a multiple of 16, made by a reorder on first use. A
    /// copy made from the plain memory is kept only while that memory's storage is at the version it was made from: a
    /// write through any view of the storage makes it stale, and the next use reorders again. It starts on a cache line
    /// (<see cref="BufferPool.RentAligned"/>), as oneDNN's kernels, its main readers, prefer.
    /// </summary>
    internal ArraySegment<float> Blocked => HasBlocked ? _blocked : MaterializeBlocked();

    /// <summary>Whether this tensor's memory is (also) in the blocked layout, so blocked-aware operations can skip a reorder.</summary>
    internal bool HasBlocked
    {
        get
        {
            if (_blocked.Array is null || _storage is null || _storage.Version == _blockedVersion) return _blocked.Array is not null;
            ReleaseBlocked();
            return false;
        }
    }

    /// <summary>This tensor's memory's version counter (see <see cref="TensorStorage.Version"/>); 0 until it is written in place.</summary>
    public int _version => _storage?.Version ?? 0;

    internal long Offset { get; }

    public DType dtype => _dtype;

    /// <summary>The sizes of each dimension (a copy: tensors are immutable in shape).</summary>
    public int[] shape => (int[])_shape.Clone();

    internal ReadOnlySpan<int> Shape_ => _shape;

    internal ReadOnlySpan<int> Strides => _strides;

    public int[] stride() => (int[])_strides.Clone();

    public int size(int dim) => _shape[Ganymede.Shape.NormalizeDim("size", dim, _shape.Length)];

    public int dim() => _shape.Length;

    public long numel() => Ganymede.Shape.Numel(_shape);

    public bool is_contiguous()
    {
        int expected = 1;
        for (int i = _shape.Length - 1; i >= 0; i--)
        {
            if (_shape[i] != 1 && _strides[i] != expected) return false;
            expected *= _shape[i];
        }
        return true;
    }

    /// <summary>Whether gradients flow to this tensor. Setting it is allowed on leaves only, as in PyTorch.</summary>
    public bool requires_grad
    {
        get => RequiresGradFlag;
        set
        {
            if (!IsLeaf && !value)
                throw new InvalidOperationException("requires_grad can only be cleared on leaf tensors; use detach()");
            if (value && dtype != DType.Float32)
                throw new DTypeException($"only float32 tensors can require gradients, not {dtype.Name()}");
            RequiresGradFlag = value;
        }
    }

    internal bool RequiresGradFlag { get; set; }

    /// <summary>The accumulated gradient of a leaf after <see cref="backward"/>; null before.</summary>
    public Tensor? grad { get; set; }

    internal GradNode? GradFn { get; set; }

    public bool IsLeaf => GradFn is null;

    /// <summary>The float32 array behind this tensor (with <see cref="Offset"/> and strides applied by the caller).</summary>
    internal float[] Floats => CheckAlive().Storage.Floats;

    /// <summary>The elements of a contiguous float32 tensor, in order.</summary>
    internal Span<float> Span
    {
        get
        {
            if (!is_contiguous()) throw new InvalidOperationException("internal: Span on a non-contiguous tensor");
            return Floats.AsSpan((int)Offset, (int)numel());
        }
    }

    /// <summary>
    /// The elements of a contiguous float32 tensor, for reading and writing in place (writes are not recorded by
    /// autograd). Call <see cref="contiguous"/> first for other tensors.
    /// </summary>
    public Span<float> AsSpan()
    {
        if (dtype != DType.Float32) throw new DTypeException($"AsSpan: the tensor is {dtype.Name()}, not float32");
        if (!is_contiguous()) throw new InvalidOperationException($"AsSpan: the tensor of shape {Shape.Format(_shape)} is not contiguous; call contiguous() first");
        // The caller may write: autograd's version check and the blocked copy must know.
        CheckAlive();
        var span = Span;
        MarkWritten();
        return span;
    }

    public float item()
    {
        if (numel() != 1) throw new ShapeException($"item: tensor of shape {Shape.Format(_shape)} has {numel()} elements, not 1");
        return ToArray()[0];
    }

    /// <summary>Copies the elements out in row-major order, converted to float.</summary>
    public float[] ToArray()
    {
        var c = CheckAlive().contiguous();
        var n = (int)c.numel();
        var result = new float[n];
        switch (c.Storage.Data)
        {
            case float[] f: Array.Copy(f, c.Offset, result, 0, n); break;
            case long[] l: for (int i = 0; i < n; i++) result[i] = l[c.Offset + i]; break;
            case byte[] b: for (int i = 0; i < n; i++) result[i] = b[c.Offset + i]; break;
        }
        return result;
    }

    public long[] ToInt64Array()
    {
        if (dtype != DType.Int64) return Array.ConvertAll(ToArray(), v => (long)v);
        var c = contiguous();
        return c.Storage.Longs.AsSpan((int)c.Offset, (int)c.numel()).ToArray();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        GradFn = null;
        _storage?.Release();
        ReleaseBlocked();
    }

    private void ReleaseBlocked()
    {
        if (_blocked.Array is not null) BufferPool.Return(_blocked.Array);
        _blocked = default;
    }

    internal static Tensor EmptyBlocked(int[] shape)
    {
        BlockedLayout.CheckEligible("blocked tensor", shape);
        return new Tensor(BufferPool.RentAligned<float>((int)Shape.Numel(shape)), (int[])shape.Clone());
    }

    private TensorStorage MaterializePlain()
    {
        CheckAlive();
        var storage = TensorStorage.Allocate(DType.Float32, numel(), clear: false);
        BlockedLayout.ToPlain(_blocked, _shape, storage.Floats);
        storage.AddRef();
        _blockedVersion = storage.Version;
        _storage = storage;
        return storage;
    }

    private ArraySegment<float> MaterializeBlocked()
    {
        CheckAlive();
        BlockedLayout.CheckEligible("blocked layout", _shape);
        var plain = contiguous();
        var blocked = BufferPool.RentAligned<float>((int)numel());
        BlockedLayout.ToBlocked(plain.Floats, (int)plain.Offset, _shape, blocked);
        _blockedVersion = Storage.Version;
        _blocked = blocked;
        return blocked;
    }

    /// <summary>
    /// Refuses an in-place change that autograd would not see: to a leaf that requires grad (outside no_grad, as
    /// PyTorch refuses), or to a tensor made by recorded operations (in-place operations are not recorded here).
    /// </summary>
    internal void BeginInPlace(string op)
    {
        CheckAlive();
        if (!RequiresGradFlag || !GradMode.IsEnabled) return;
        throw new InvalidOperationException(IsLeaf
            ? $"{op}: a leaf tensor that requires grad is being used in an in-place operation; do it under torch.no_grad()"
            : $"{op}: this tensor is part of an autograd graph and in-place operations are not recorded; use the out-of-place operation instead");
    }

    /// <summary>
    /// Records that the plain memory was written in place: the storage's version moves on (so autograd sees that
    /// values it saved changed), and blocked copies made from the old values are dropped.
    /// </summary>
    internal void MarkWritten()
    {
        Storage.BumpVersion();
        ReleaseBlocked();
    }

    internal Tensor CheckAlive() =>
        _disposed ? throw new ObjectDisposedException(nameof(Tensor), "this tensor was disposed") : this;

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("tensor(shape=").Append(Shape.Format(_shape)).Append(", dtype=").Append(dtype.Name());
        if (requires_grad) sb.Append(", requires_grad=True");
        if (GradFn is not null) sb.Append(", grad_fn=").Append(GradFn.Name);
        if (!_disposed && numel() <= 16) sb.Append(", values=[").Append(string.Join(", ", ToArray())).Append(']');
        return sb.Append(')').ToString();
    }
}
