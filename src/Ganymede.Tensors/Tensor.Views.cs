using Ganymede.Autograd;
using Ganymede.Ops;

namespace Ganymede;

/// <summary>Views share storage with their source (no copy); their backward maps the gradient back to the source's shape.</summary>
public sealed partial class Tensor
{
    private Tensor ViewOf(int[] shape, int[] strides, long offset) => new(Storage, shape, strides, offset);

    /// <summary>Same elements, new shape; the tensor must be contiguous (use <see cref="reshape"/> otherwise). One size may be -1.</summary>
    public Tensor view(params int[] newShape)
    {
        var resolved = ResolveShape("view", newShape);
        if (!is_contiguous())
            throw new ShapeException($"view: tensor of shape {Shape.Format(_shape)} is not contiguous; use reshape()");
        var input = this;
        var result = ViewOf(resolved, Shape.ContiguousStrides(resolved), Offset);
        Tracing.OpTrace.Record("reshape", [this], result, ("shape", resolved));
        return AutogradEngine.Record(result, "view", [this], g => [g.reshape(input._shape)]);
    }

    public Tensor reshape(params int[] newShape) => is_contiguous() ? view(newShape) : contiguous().view(newShape);

    public Tensor flatten(int startDim = 0, int endDim = -1)
    {
        if (dim() == 0) return reshape(1);
        int s = Shape.NormalizeDim("flatten", startDim, dim()), e = Shape.NormalizeDim("flatten", endDim, dim());
        var newShape = new List<int>();
        for (int i = 0; i < s; i++) newShape.Add(_shape[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= _shape[i];
        newShape.Add(merged);
        for (int i = e + 1; i < dim(); i++) newShape.Add(_shape[i]);
        // Flattening everything after the first s dimensions is ONNX's Flatten(axis = s).
        return e == dim() - 1 ? Tracing.OpTrace.Composite("flatten", [this], () => reshape([.. newShape]), ("axis", s)) : reshape([.. newShape]);
    }

    public Tensor permute(params int[] dims)
    {
        if (dims.Length != dim())
            throw new ShapeException($"permute: {dims.Length} dimensions given for a tensor of rank {dim()}");
        var shape = new int[dims.Length];
        var strides = new int[dims.Length];
        var inverse = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = Shape.NormalizeDim("permute", dims[i], dim());
            if (seen[d]) throw new ShapeException($"permute: dimension {d} repeated in [{string.Join(", ", dims)}]");
            seen[d] = true;
            shape[i] = _shape[d];
            strides[i] = _strides[d];
            inverse[d] = i;
        }
        var result = ViewOf(shape, strides, Offset);
        Tracing.OpTrace.Record("permute", [this], result, ("dims", dims));
        return AutogradEngine.Record(result, "permute", [this], g => [g.permute(inverse)]);
    }

    public Tensor transpose(int dim0, int dim1)
    {
        var dims = Enumerable.Range(0, dim()).ToArray();
        int a = Shape.NormalizeDim("transpose", dim0, dim()), b = Shape.NormalizeDim("transpose", dim1, dim());
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return permute(dims);
    }

    /// <summary>The 2-D transpose.</summary>
    public Tensor T => dim() == 2 ? transpose(0, 1) : throw new ShapeException($"T: expects a 2-D tensor, got shape {Shape.Format(_shape)}");

    /// <summary>Elements <paramref name="start"/> .. start+length-1 along <paramref name="dimension"/>.</summary>
    public Tensor narrow(int dimension, int start, int length)
    {
        int d = Shape.NormalizeDim("narrow", dimension, dim());
        if (start < 0) start += _shape[d];
        if (start < 0 || length < 0 || start + length > _shape[d])
            throw new ShapeException($"narrow: range {start}..{start + length} is outside dimension {d} of size {_shape[d]} (shape {Shape.Format(_shape)})");
        var shape = (int[])_shape.Clone();
        shape[d] = length;
        var result = ViewOf(shape, (int[])_strides.Clone(), Offset + (long)start * _strides[d]);
        var inputShape = _shape;
        Tracing.OpTrace.Record("narrow", [this], result, ("dim", d), ("start", start), ("length", length));
        return AutogradEngine.Record(result, "narrow", [this], g =>
        {
            var full = torch.zeros(inputShape);
            StridedLoops.Copy(g, full.narrow(d, start, length));
            return [full];
        });
    }

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dimension"/>, with that dimension removed.</summary>
    public Tensor select(int dimension, int index) => narrow(dimension, index, 1).squeeze(dimension);

    public Tensor squeeze(int dimension)
    {
        int d = Shape.NormalizeDim("squeeze", dimension, dim());
        if (_shape[d] != 1) return this;
        return reshape([.. _shape[..d], .. _shape[(d + 1)..]]);
    }

    public Tensor squeeze() => reshape(_shape.Where(s => s != 1).ToArray());

    public Tensor unsqueeze(int dimension)
    {
        int d = dimension < 0 ? dimension + dim() + 1 : dimension;
        if (d < 0 || d > dim()) throw new ShapeException($"unsqueeze: dimension {dimension} is out of range for rank {dim()}");
        return reshape([.. _shape[..d], 1, .. _shape[d..]]);
    }

    /// <summary>Broadcasts size-1 dimensions to <paramref name="sizes"/> without copying (stride 0). -1 keeps a size.</summary>
    public Tensor expand(params int[] sizes)
    {
        if (sizes.Length < dim())
            throw new ShapeException($"expand: target {Shape.Format(sizes)} has fewer dimensions than shape {Shape.Format(_shape)}");
        var shape = new int[sizes.Length];
        var strides = new int[sizes.Length];
        int shift = sizes.Length - dim();
        for (int i = 0; i < sizes.Length; i++)
        {
            int own = i < shift ? 1 : _shape[i - shift];
            int target = sizes[i] == -1 ? own : sizes[i];
            if (own != target && own != 1)
                throw new ShapeException($"expand: cannot expand shape {Shape.Format(_shape)} to {Shape.Format(sizes)}");
            shape[i] = target;
            strides[i] = i < shift || (own == 1 && target != 1) ? 0 : _strides[i - shift];
        }
        var inputShape = _shape;
        var result = ViewOf(shape, strides, Offset);
        return AutogradEngine.Record(result, "expand", [this], g => [g.SumToShape(inputShape)]);
    }

    /// <summary>This tensor if already contiguous, else a contiguous copy.</summary>
    public Tensor contiguous()
    {
        if (is_contiguous()) return this;
        var result = Empty(_shape, dtype, clear: false);
        StridedLoops.Copy(this, result);
        Tracing.OpTrace.Record("identity", [this], result);
        return AutogradEngine.Record(result, "contiguous", [this], g => [g]);
    }

    /// <summary>A contiguous copy that owns its memory.</summary>
    public Tensor clone()
    {
        var result = Empty(_shape, dtype, clear: false);
        StridedLoops.Copy(this, result);
        Tracing.OpTrace.Record("identity", [this], result);
        return AutogradEngine.Record(result, "clone", [this], g => [g]);
    }

    /// <summary>Same storage, cut from the graph.</summary>
    public Tensor detach() => ViewOf((int[])_shape.Clone(), (int[])_strides.Clone(), Offset);

    /// <summary>Copies <paramref name="src"/> (broadcast to this shape) into this tensor's memory, in place; not recorded.</summary>
    public Tensor copy_(Tensor src)
    {
        if (src.dtype != dtype) throw new DTypeException($"copy_: source is {src.dtype.Name()}, destination {dtype.Name()}");
        Shape.Broadcast("copy_", _shape, src._shape);
        BeginInPlace("copy_");
        StridedLoops.Copy(src, this);
        MarkWritten();
        return this;
    }

    /// <summary>Removes this tensor from the current dispose scope so it outlives it (TorchSharp's name).</summary>
    public Tensor DetachFromDisposeScope()
    {
        DisposeScope.Untrack(this);
        return this;
    }

    /// <summary>Hands this tensor to the enclosing dispose scope.</summary>
    public Tensor MoveToOuterDisposeScope()
    {
        DisposeScope.MoveOut(this);
        return this;
    }

    private int[] ResolveShape(string op, int[] newShape)
    {
        var resolved = (int[])newShape.Clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (unknown >= 0) throw new ShapeException($"{op}: only one dimension can be -1 in {Shape.Format(newShape)}");
                unknown = i;
            }
            else if (resolved[i] < 0) throw new ShapeException($"{op}: invalid size {resolved[i]} in {Shape.Format(newShape)}");
            else known *= resolved[i];
        }
        if (unknown >= 0)
        {
            if (known == 0 || numel() % known != 0)
                throw new ShapeException($"{op}: shape {Shape.Format(newShape)} is invalid for input of shape {Shape.Format(_shape)}");
            resolved[unknown] = (int)(numel() / known);
        }
        if (Shape.Numel(resolved) != numel())
            throw new ShapeException($"{op}: shape {Shape.Format(newShape)} is invalid for input of shape {Shape.Format(_shape)} ({numel()} elements)");
        return resolved;
    }
}
