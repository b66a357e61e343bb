using System.Globalization;
using Ganymede.Onnx.Proto;

namespace Ganymede.Server.Services.Previews;

/// <summary>A model's input or output: its element type, and its dimensions (names for symbolic ones; null when the model gives no shape).</summary>
public sealed record OnnxValue(string Name, string Type, IReadOnlyList<string>? Dims)
{
    public string ShapeText => Dims is null ? "" : "[" + string.Join(", ", Dims) + "]";
}

/// <summary>
/// An ONNX model as a card: what it takes and gives, who made it, how big it is, which operators it uses. The history's
/// description of a model (<see cref="DatasetInspector"/>) is made from it too.
/// </summary>
public sealed record OnnxCard(
    IReadOnlyList<OnnxValue> Inputs, IReadOnlyList<OnnxValue> Outputs, IReadOnlyList<(string Domain, long Version)> Opsets,
    string ProducerName, string ProducerVersion, long IrVersion, string Description, string GraphName,
    IReadOnlyList<(string Key, string Value)> Metadata, long Parameters, int Nodes, IReadOnlyList<(string Operator, int Count)> Operators)
{
    public string Producer => string.Join(" ", new[] { ProducerName, ProducerVersion }.Where(s => s.Length > 0));

    /// <summary>The version of the default (ai.onnx) operator set, or 0 when the model imports none.</summary>
    public long Opset => Opsets.FirstOrDefault(o => o.Domain == "ai.onnx").Version;

    /// <summary>Read from the model's outline: the weights are sought past, never loaded.</summary>
    public static OnnxCard Read(string path)
    {
        var model = ModelOutline.Read(path);
        var graph = model.Graph ?? throw new InvalidDataException("the model has no graph");
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet();
        List<OnnxValue> Values(IEnumerable<ValueInfoProto> values) => values.Where(v => !initializers.Contains(v.Name)).Select(v => new OnnxValue(v.Name,
            v.Type?.TensorType is { } t ? ((TensorProto.Types.DataType)t.ElemType).ToString().ToLowerInvariant() : "",
            v.Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(CultureInfo.InvariantCulture)).ToList())).ToList();
        long parameters = graph.Initializer.Sum(i => i.Dims.Aggregate(1L, (a, d) => a * d));
        return new OnnxCard(Values(graph.Input), Values(graph.Output),
            model.OpsetImport.Select(o => (o.Domain.Length == 0 ? "ai.onnx" : o.Domain, o.Version)).ToList(),
            model.ProducerName, model.ProducerVersion, model.IrVersion, model.DocString, graph.Name,
            model.MetadataProps.Select(p => (p.Key, p.Value)).ToList(), parameters, graph.Node.Count,
            graph.Node.GroupBy(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}").Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2).ThenBy(g => g.Key, StringComparer.Ordinal).ToList());
    }
}
