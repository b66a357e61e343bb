using System.Globalization;
using Ganymede.Onnx.Proto;

namespace Ganymede.Server.Services.Previews;

/// <summary>An ONNX model as a card: what it takes and gives, who made it, how big it is, which operators it uses.</summary>
public sealed record OnnxCard(
    IReadOnlyList<(string Name, string Type, string Shape)> Inputs, IReadOnlyList<(string Name, string Type, string Shape)> Outputs,
    IReadOnlyList<(string Domain, long Version)> Opsets, string Producer, long IrVersion, string Description, string GraphName,
    IReadOnlyList<(string Key, string Value)> Metadata, long Parameters, int Nodes, IReadOnlyList<(string Operator, int Count)> Operators)
{
    /// <summary>Read from the model's outline: the weights are sought past, never loaded.</summary>
    public static OnnxCard Read(string path)
    {
        var model = ModelOutline.Read(path);
        var graph = model.Graph ?? throw new InvalidDataException("the model has no graph");
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet();
        List<(string, string, string)> Values(IEnumerable<ValueInfoProto> values) => values.Where(v => !initializers.Contains(v.Name)).Select(v => (v.Name,
            v.Type?.TensorType is { } t ? ((TensorProto.Types.DataType)t.ElemType).ToString().ToLowerInvariant() : "",
            v.Type?.TensorType?.Shape is { } s ? "[" + string.Join(", ", s.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(CultureInfo.InvariantCulture))) + "]" : "")).ToList();
        long parameters = graph.Initializer.Sum(i => i.Dims.Aggregate(1L, (a, d) => a * d));
        return new OnnxCard(Values(graph.Input), Values(graph.Output),
            model.OpsetImport.Select(o => (o.Domain.Length == 0 ? "ai.onnx" : o.Domain, o.Version)).ToList(),
            string.Join(" ", new[] { model.ProducerName, model.ProducerVersion }.Where(s => s.Length > 0)), model.IrVersion, model.DocString, graph.Name,
            model.MetadataProps.Select(p => (p.Key, p.Value)).ToList(), parameters, graph.Node.Count,
            graph.Node.GroupBy(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}").Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2).ThenBy(g => g.Key, StringComparer.Ordinal).ToList());
    }
}
