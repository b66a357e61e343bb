namespace Ganymede.Onnx.Runtime;

/// <summary>
/// The ONNX operators the runtime runs, each mapped onto the engine. <see cref="OperatorSupport.Unsupported"/> rejects, before
/// anything runs, the attribute values an operator does not implement, so a model is either fully supported or
/// refused with the node and what is missing.
/// </summary>
internal static partial class Operators
{
    public delegate Tensor[] Kernel(NodeContext c);

    public static readonly Dictionary<string, Kernel> All = new()
    {
        ["Conv"] = Conv, ["ConvTranspose"] = ConvTranspose, ["BatchNormalization"] = BatchNormalization,
        ["Relu"] = c => [c.Input(0).relu()], ["LeakyRelu"] = c => [c.Input(0).leaky_relu(c.Float("alpha", 0.01f))],
        ["Sigmoid"] = c => [c.Input(0).sigmoid()], ["Tanh"] = c => [c.Input(0).tanh()], ["Sqrt"] = c => [c.Input(0).sqrt()],
        ["Abs"] = c => [c.Input(0).abs()], ["Exp"] = c => [c.Input(0).exp()], ["Log"] = c => [c.Input(0).log()], ["Neg"] = c => [Neg(c.Input(0))],
        ["Identity"] = c => [c.Input(0)], ["Dropout"] = c => [c.Input(0)],
        ["MaxPool"] = MaxPool, ["AveragePool"] = AveragePool, ["GlobalAveragePool"] = c => [c.Input(0).mean([2, 3], keepdim: true)],
        ["Concat"] = c => [Concat(c)], ["Add"] = c => [Arithmetic(c, '+')], ["Sub"] = c => [Arithmetic(c, '-')],
        ["Mul"] = c => [Arithmetic(c, '*')], ["Div"] = c => [Arithmetic(c, '/')], ["Pow"] = Pow,
        ["Gemm"] = c => [Gemm(c)], ["MatMul"] = c => [c.Input(0).matmul(c.Input(1))],
        ["Softmax"] = c => [SoftmaxLike(c, log: false)], ["LogSoftmax"] = c => [SoftmaxLike(c, log: true)],
        ["Reshape"] = Reshape, ["Flatten"] = Flatten, ["Transpose"] = Transpose, ["Pad"] = Pad,
        ["Constant"] = Constant, ["Shape"] = Shape,
        ["Gather"] = Gather, ["Unsqueeze"] = Unsqueeze, ["Squeeze"] = Squeeze, ["Slice"] = Slice, ["Cast"] = Cast, ["Clip"] = Clip,
        ["ReduceMean"] = ReduceMean, ["ArgMax"] = ArgMax, ["Resize"] = Resize, ["Upsample"] = Resize,
    };

    /// <summary>The dimensions from start to end (opset 15 attributes; negative values count from the back).</summary>
    private static Tensor[] Shape(NodeContext c)
    {
        var shape = c.Input(0).shape;
        int Clamp(long v) => (int)Math.Clamp(v < 0 ? v + shape.Length : v, 0, shape.Length);
        int start = Clamp(c.Int("start", 0)), end = Clamp(c.Int("end", shape.Length));
        return [torch.tensor(shape[start..Math.Max(start, end)].Select(d => (long)d).ToArray().AsSpan())];
    }

    /// <summary>Computed in float; the result has the base's type, as the specification says.</summary>
    private static Tensor[] Pow(NodeContext c)
    {
        var x = c.Input(0);
        var y = x.to(DType.Float32).pow(c.Input(1).to(DType.Float32));
        return [x.dtype == DType.Int64 ? y.to(DType.Int64) : y];
    }

    private static Tensor Neg(Tensor x) => x.dtype == DType.Int64 ? torch.tensor(x.ToInt64Array().Select(v => -v).ToArray().AsSpan(), x.shape) : x.neg();

    private static Tensor Concat(NodeContext c)
    {
        var parts = Enumerable.Range(0, c.InputCount).Select(c.Optional).Where(t => t is not null && t.numel() > 0).Select(t => t!).ToList();
        if (parts.Count == 0) return c.Input(0);
        int axis = (int)c.Int("axis", 0);
        return torch.cat(parts, axis < 0 ? axis + parts[0].dim() : axis);
    }

    /// <summary>Float arithmetic on the engine; int64 arithmetic (shape computations) on plain numbers, with the same broadcasting.</summary>
    private static Tensor Arithmetic(NodeContext c, char op)
    {
        Tensor a = c.Input(0), b = c.Input(1);
        if (a.dtype == DType.Float32 || b.dtype == DType.Float32)
        {
            (a, b) = (a.to(DType.Float32), b.to(DType.Float32));
            return op switch { '+' => a.add(b), '-' => a.sub(b), '*' => a.mul(b), _ => a.div(b) };
        }
        var shape = BroadcastShape(a.shape, b.shape, c);
        var x = Expand(a, shape);
        var y = Expand(b, shape);
        var result = x.Select((v, i) => op switch
        {
            '+' => v + y[i],
            '-' => v - y[i],
            '*' => v * y[i],
            _ => y[i] == 0 ? throw c.Error("integer division by zero") : (long)Math.Floor((double)v / y[i]),
        }).ToArray();
        return torch.tensor(result.AsSpan(), shape);
    }

    private static int[] BroadcastShape(int[] a, int[] b, NodeContext c)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)], db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1) throw c.Error($"shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast");
            shape[i] = Math.Max(da, db);
        }
        return shape;
    }

    private static long[] Expand(Tensor t, int[] shape) => t.to(DType.Int64).expand(shape).contiguous().ToInt64Array();

    private static Tensor Gemm(NodeContext c)
    {
        var a = c.Int("transA", 0) != 0 ? c.Input(0).transpose(0, 1) : c.Input(0);
        var b = c.Int("transB", 0) != 0 ? c.Input(1).transpose(0, 1) : c.Input(1);
        var y = a.matmul(b).mul(c.Float("alpha", 1));
        return c.Optional(2) is { } bias ? y.add(bias.mul(c.Float("beta", 1))) : y;
    }

    /// <summary>Softmax over one axis (opset 13+), or over the flattened dimensions from the axis on (before 13).</summary>
    private static Tensor SoftmaxLike(NodeContext c, bool log)
    {
        var x = c.Input(0);
        int axis = (int)c.Int("axis", c.Opset >= 13 ? -1 : 1);
        if (axis < 0) axis += x.dim();
        if (c.Opset >= 13) return log ? F.log_softmax(x, axis) : F.softmax(x, axis);
        var flat = x.reshape(x.shape[..axis].Aggregate(1, (p, d) => p * d), -1);
        return (log ? F.log_softmax(flat, 1) : F.softmax(flat, 1)).reshape(x.shape);
    }

    private static Tensor[] Reshape(NodeContext c)
    {
        var x = c.Input(0);
        var shape = c.Longs(1) ?? [];
        bool allowZero = c.Int("allowzero", 0) != 0;
        var target = shape.Select((d, i) => d == 0 && !allowZero ? x.size(i) : (int)d).ToArray();
        return [x.reshape(target)];
    }

    private static Tensor[] Flatten(NodeContext c)
    {
        var x = c.Input(0);
        int axis = (int)c.Int("axis", 1);
        if (axis < 0) axis += x.dim();
        return [x.reshape(x.shape[..axis].Aggregate(1, (p, d) => p * d), x.shape[axis..].Aggregate(1, (p, d) => p * d))];
    }

    private static Tensor[] Transpose(NodeContext c)
    {
        var x = c.Input(0);
        var perm = c.Ints("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, x.dim()).Reverse().ToArray();
        return [x.permute(perm).contiguous()];
    }

    private static Tensor[] Constant(NodeContext c)
    {
        if (c.TensorAttribute("value") is { } t) return [TensorProtos.ToTensor(t, c.Node.Name)];
        if (c.Has("value_float")) return [torch.scalar_tensor(c.Float("value_float", 0))];
        if (c.Has("value_int")) return [torch.tensor([c.Int("value_int", 0)], [])];
        if (c.Ints("value_ints") is { } ints) return [torch.tensor(ints.AsSpan())];
        throw c.Error("only value, value_float, value_int and value_ints constants are supported");
    }

    private static Tensor[] Cast(NodeContext c)
    {
        var x = c.Input(0);
        return (Proto.TensorProto.Types.DataType)c.Int("to", 1) switch
        {
            Proto.TensorProto.Types.DataType.Float or Proto.TensorProto.Types.DataType.Double or Proto.TensorProto.Types.DataType.Float16 => [x.to(DType.Float32)],
            Proto.TensorProto.Types.DataType.Bool => [x.to(DType.Bool)],
            _ => [x.to(DType.Int64)],
        };
    }

    private static Tensor[] Clip(NodeContext c)
    {
        float min = c.Opset >= 11 ? c.Floats(1)?[0] ?? float.NegativeInfinity : c.Float("min", float.NegativeInfinity);
        float max = c.Opset >= 11 ? c.Floats(2)?[0] ?? float.PositiveInfinity : c.Float("max", float.PositiveInfinity);
        return [c.Input(0).clamp(min, max)];
    }

    private static Tensor[] ReduceMean(NodeContext c)
    {
        var x = c.Input(0);
        var axes = (c.Opset >= 18 ? c.Longs(1) : c.Ints("axes"))?.Select(a => (int)(a < 0 ? a + x.dim() : a)).ToArray() ?? Enumerable.Range(0, x.dim()).ToArray();
        bool keep = c.Int("keepdims", 1) != 0;
        return [x.mean(axes, keepdim: keep)];
    }

    private static Tensor[] ArgMax(NodeContext c)
    {
        var x = c.Input(0);
        int axis = (int)c.Int("axis", 0);
        return [x.argmax(axis < 0 ? axis + x.dim() : axis, keepdim: c.Int("keepdims", 1) != 0)];
    }
}
