using System.Text;
using Ganymede.Onnx.Proto;

namespace Ganymede.Onnx.Runtime;

/// <summary>One node being run: its attributes, its inputs (null where omitted), and the opset in force.</summary>
internal sealed class NodeContext(NodeProto node, Tensor?[] inputs, long opset)
{
    public NodeProto Node { get; } = node;
    public long Opset { get; } = opset;
    public int InputCount => inputs.Length;

    public Tensor Input(int i) => i < inputs.Length && inputs[i] is { } t ? t : throw Error($"input {i} is missing");

    public Tensor? Optional(int i) => i < inputs.Length ? inputs[i] : null;

    private AttributeProto? Find(string name) => Node.Attribute.FirstOrDefault(a => a.Name == name);

    public bool Has(string name) => Find(name) is not null;

    public long Int(string name, long fallback) => Find(name) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Find(name) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Find(name) is { } a ? Encoding.UTF8.GetString(a.S.ToByteArray()) : fallback;

    public long[]? Ints(string name) => Find(name)?.Ints.ToArray();

    public TensorProto? TensorAttribute(string name) => Find(name)?.T;

    /// <summary>An int64 input read as numbers (shapes, axes, pads); null when omitted or empty.</summary>
    public long[]? Longs(int i)
    {
        var t = Optional(i);
        return t is null || t.numel() == 0 ? null : t.ToInt64Array();
    }

    public float[]? Floats(int i)
    {
        var t = Optional(i);
        return t is null || t.numel() == 0 ? null : t.ToArray();
    }

    public NotSupportedException Error(string what) =>
        new($"ONNX node '{Node.Name}' ({Node.OpType}): {what}");
}
