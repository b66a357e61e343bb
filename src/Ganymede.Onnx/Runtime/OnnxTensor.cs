using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Ganymede.Onnx.Runtime;

/// <summary>
/// A tensor of any ONNX element type, as a .NET array in row-major order and a shape: what a model that is not an
/// image model takes and gives (a scikit-learn classifier's labels, a TensorFlow model's int32 ids, strings).
/// </summary>
public sealed class OnnxTensor
{
    public OnnxTensor(Array data, params long[] shape)
    {
        if (data.Rank != 1) throw new ArgumentException("an ONNX tensor's data is a one-dimensional array, in row-major order");
        ElementType = ElementName(data) ?? throw new ArgumentException($"{data.GetType().GetElementType()!.Name} is not an ONNX element type");
        long count = shape.Aggregate(1L, (a, d) => d < 0 ? throw new ArgumentException($"shape [{string.Join(", ", shape)}] has a negative dimension") : a * d);
        if (count != data.Length) throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} elements; the data has {data.Length}");
        Data = data;
        Shape = shape;
    }

    public Array Data { get; }
    public long[] Shape { get; }
    /// <summary>"float32", "int64", "string", ... (ONNX's types by numpy's names).</summary>
    public string ElementType { get; }

    public T[] As<T>() => Data.GetType().GetElementType() == typeof(T) ? (T[])Data
        : throw new InvalidCastException($"the tensor is {ElementType}, not {typeof(T).Name}");

    public override string ToString() => $"{ElementType} [{string.Join(", ", Shape)}]";

    private static readonly (Type Type, TensorElementType Onnx, string Name)[] Types =
    [
        (typeof(float), TensorElementType.Float, "float32"), (typeof(double), TensorElementType.Double, "float64"),
        (typeof(Float16), TensorElementType.Float16, "float16"), (typeof(BFloat16), TensorElementType.BFloat16, "bfloat16"),
        (typeof(sbyte), TensorElementType.Int8, "int8"), (typeof(byte), TensorElementType.UInt8, "uint8"),
        (typeof(short), TensorElementType.Int16, "int16"), (typeof(ushort), TensorElementType.UInt16, "uint16"),
        (typeof(int), TensorElementType.Int32, "int32"), (typeof(uint), TensorElementType.UInt32, "uint32"),
        (typeof(long), TensorElementType.Int64, "int64"), (typeof(ulong), TensorElementType.UInt64, "uint64"),
        (typeof(bool), TensorElementType.Bool, "bool"), (typeof(string), TensorElementType.String, "string"),
    ];

    internal static string ElementName(TensorElementType type) =>
        Types.FirstOrDefault(t => t.Onnx == type).Name ?? type.ToString().ToLowerInvariant();

    private static string? ElementName(Array data) => Types.FirstOrDefault(t => t.Type == data.GetType().GetElementType()).Name;

    // The switches below go by ElementType, not by the array's type: the runtime lets a uint[] pass as an int[]
    // (and byte[] as sbyte[], ulong[] as long[]), so a pattern on the array would take one for the other.
    internal OrtValue ToOrtValue() => ElementType switch
    {
        "float32" => OrtValue.CreateTensorValueFromMemory((float[])Data, Shape),
        "float64" => OrtValue.CreateTensorValueFromMemory((double[])Data, Shape),
        "float16" => OrtValue.CreateTensorValueFromMemory((Float16[])Data, Shape),
        "bfloat16" => OrtValue.CreateTensorValueFromMemory((BFloat16[])Data, Shape),
        "int8" => OrtValue.CreateTensorValueFromMemory((sbyte[])Data, Shape),
        "uint8" => OrtValue.CreateTensorValueFromMemory((byte[])Data, Shape),
        "int16" => OrtValue.CreateTensorValueFromMemory((short[])Data, Shape),
        "uint16" => OrtValue.CreateTensorValueFromMemory((ushort[])Data, Shape),
        "int32" => OrtValue.CreateTensorValueFromMemory((int[])Data, Shape),
        "uint32" => OrtValue.CreateTensorValueFromMemory((uint[])Data, Shape),
        "int64" => OrtValue.CreateTensorValueFromMemory((long[])Data, Shape),
        "uint64" => OrtValue.CreateTensorValueFromMemory((ulong[])Data, Shape),
        "bool" => OrtValue.CreateTensorValueFromMemory((bool[])Data, Shape),
        "string" => OrtValue.CreateFromStringTensor(new DenseTensor<string>((string[])Data, Shape.Select(d => (int)d).ToArray())),
        _ => throw new InvalidOperationException("unreachable: the constructor accepts ONNX element types only"),
    };

    internal static OnnxTensor FromOrtValue(OrtValue value, string path, string name)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
            throw new NotSupportedException($"{path}: output '{name}' is a {value.OnnxType.ToString().Replace("ONNX_TYPE_", "").ToLowerInvariant()}, not a tensor; " +
                "Ganymede returns tensors only (a scikit-learn classifier exported without ZipMap gives its probabilities as one)");
        var info = value.GetTensorTypeAndShape();
        Array data = info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Float16 => value.GetTensorDataAsSpan<Float16>().ToArray(),
            TensorElementType.BFloat16 => value.GetTensorDataAsSpan<BFloat16>().ToArray(),
            TensorElementType.Int8 => value.GetTensorDataAsSpan<sbyte>().ToArray(),
            TensorElementType.UInt8 => value.GetTensorDataAsSpan<byte>().ToArray(),
            TensorElementType.Int16 => value.GetTensorDataAsSpan<short>().ToArray(),
            TensorElementType.UInt16 => value.GetTensorDataAsSpan<ushort>().ToArray(),
            TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray(),
            TensorElementType.UInt32 => value.GetTensorDataAsSpan<uint>().ToArray(),
            TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray(),
            TensorElementType.UInt64 => value.GetTensorDataAsSpan<ulong>().ToArray(),
            TensorElementType.Bool => value.GetTensorDataAsSpan<bool>().ToArray(),
            TensorElementType.String => value.GetStringTensorAsArray(),
            var other => throw new NotSupportedException($"{path}: output '{name}' is of element type {other}, which Ganymede does not read"),
        };
        return new OnnxTensor(data, info.Shape);
    }

    /// <summary>
    /// An engine tensor as the model's declared element type: float32 to any floating type, int64 to any integer
    /// type, uint8 and bool as they are. Other pairs are an error naming the input.
    /// </summary>
    internal static OnnxTensor From(Tensor t, string declared, string path, string name)
    {
        var shape = t.shape.Select(d => (long)d).ToArray();
        bool floating = declared is "float32" or "float64" or "float16" or "bfloat16";
        bool integral = declared is "int8" or "uint8" or "int16" or "uint16" or "int32" or "uint32" or "int64" or "uint64";
        Array? data = (t.dtype, declared) switch
        {
            (DType.Float32, _) when floating => Floats(t.ToArray(), declared),
            (DType.Int64 or DType.UInt8, _) when integral => Integers(t.ToInt64Array(), declared),
            (DType.Bool, "bool") => Array.ConvertAll(t.ToArray(), v => v != 0),
            _ => null,
        };
        return data is null
            ? throw new ArgumentException($"{path}: input '{name}' is a {t.dtype} tensor; the model expects {declared} (give an OnnxTensor for other types)")
            : new OnnxTensor(data, shape);
    }

    private static Array Floats(float[] v, string type) => type switch
    {
        "float64" => Array.ConvertAll(v, x => (double)x),
        "float16" => Array.ConvertAll(v, x => (Float16)x),
        "bfloat16" => Array.ConvertAll(v, x => (BFloat16)x),
        _ => v,
    };

    private static Array Integers(long[] v, string type) => type switch
    {
        "int8" => Array.ConvertAll(v, x => checked((sbyte)x)), "uint8" => Array.ConvertAll(v, x => checked((byte)x)),
        "int16" => Array.ConvertAll(v, x => checked((short)x)), "uint16" => Array.ConvertAll(v, x => checked((ushort)x)),
        "int32" => Array.ConvertAll(v, x => checked((int)x)), "uint32" => Array.ConvertAll(v, x => checked((uint)x)),
        "uint64" => Array.ConvertAll(v, x => checked((ulong)x)),
        _ => v,
    };

    /// <summary>The tensor on the engine: floating types as float32, integers as int64 (uint8 stays), bool as bool; strings cannot be.</summary>
    internal Tensor ToTensor(string path, string name)
    {
        var dims = Shape.Select(d => checked((int)d)).ToArray();
        return ElementType switch
        {
            "float32" => torch.tensor(((float[])Data).AsSpan(), dims),
            "float64" => torch.tensor(Array.ConvertAll((double[])Data, x => (float)x).AsSpan(), dims),
            "float16" => torch.tensor(Array.ConvertAll((Float16[])Data, x => (float)x).AsSpan(), dims),
            "bfloat16" => torch.tensor(Array.ConvertAll((BFloat16[])Data, x => (float)x).AsSpan(), dims),
            "uint8" => torch.tensor(Array.ConvertAll((byte[])Data, x => (float)x).AsSpan(), dims).to(DType.UInt8),
            "bool" => torch.tensor(Array.ConvertAll((bool[])Data, x => x ? 1f : 0f).AsSpan(), dims).to(DType.Bool),
            "string" => throw new NotSupportedException($"{path}: output '{name}' holds strings; run the model on OnnxTensors to read it"),
            _ => torch.tensor(Integers().AsSpan(), dims),
        };
    }

    private long[] Integers() => ElementType switch
    {
        "int8" => Array.ConvertAll((sbyte[])Data, x => (long)x), "int16" => Array.ConvertAll((short[])Data, x => (long)x),
        "uint16" => Array.ConvertAll((ushort[])Data, x => (long)x), "int32" => Array.ConvertAll((int[])Data, x => (long)x),
        "uint32" => Array.ConvertAll((uint[])Data, x => (long)x), "int64" => (long[])Data,
        "uint64" => Array.ConvertAll((ulong[])Data, x => unchecked((long)x)),
        _ => throw new InvalidOperationException($"unreachable: {ElementType} is not an integer type"),
    };
}
