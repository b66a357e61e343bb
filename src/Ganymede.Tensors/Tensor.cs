using System.Text;
using Ganymede.Autograd;
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

    internal Tensor(TensorStorage storage, int[] shape, int[] strides, long offset)
    {
        Storage = storage;
        _shape = shape;
        _strides = strides;
        Offset = offset;
        storage.AddRef();
        DisposeScope.Track(this);
    }

    /// <summary>A new contiguous tensor of the given shape; zero-filled unless <paramref name="clear"/> is false.</summary>
    internal static Tensor Empty(int[] shape, DType dtype = DType.Float32, bool clear = true)
    {
        foreach (var d in shape)
            if (d < 0) throw new ShapeException($"invalid shape {Shape.Format(shape)}: sizes must not be negative");
        return new Tensor(TensorStorage.Allocate(dtype, Shape.Numel(shape), clear), (int[])shape.Clone(), Shape.ContiguousStrides(shape), 0);
    }

    internal TensorStorage Storage { get; }

    internal long Offset { get; }

    public DType dtype => Storage.DType;

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
        Storage.Release();
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
