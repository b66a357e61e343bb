using Google.Protobuf;
using Ganymede.Onnx.Proto;

namespace Ganymede.Onnx.Runtime;

/// <summary>
/// An ONNX model loaded onto the engine: the graph checked as a whole (operators, opset, types), initializers
/// read (inline or from external data files, sizes verified before allocation), and a Run that executes the
/// nodes in order on batches of any size.
/// </summary>
public sealed class OnnxModel
{
    private readonly Dictionary<string, Tensor> _initializers = [];
    private readonly long _opset;

    private OnnxModel(ModelProto proto, string path)
    {
        Proto = proto;
        Path = path;
        var graph = proto.Graph ?? throw new InvalidDataException($"{path}: the model has no graph");
        _opset = proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (_opset is < 1 or > 18) throw new NotSupportedException($"{path}: opset {_opset} is not supported (1 to 18)");
        var ranks = graph.Input.Concat(graph.ValueInfo).Concat(graph.Output).Where(v => v.Type?.TensorType?.Shape is not null)
            .GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First().Type.TensorType.Shape.Dim.Count);
        foreach (var t in graph.Initializer) ranks[t.Name] = t.Dims.Count;
        var problems = graph.Node.Select(n => (n, OperatorSupport.Unsupported(n, _opset, name => ranks.TryGetValue(name, out var r) ? r : null))).Where(x => x.Item2 is not null)
            .Select(x => $"node '{x.n.Name}' ({x.n.OpType}): {x.Item2}").ToList();
        foreach (var input in graph.Input.Where(i => !graph.Initializer.Any(t => t.Name == i.Name)))
        {
            var type = input.Type?.TensorType?.ElemType ?? 0;
            if (type is not ((int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Bool))
                problems.Add($"input '{input.Name}': type {(TensorProto.Types.DataType)type} is not supported (float, int64 or bool)");
        }
        if (problems.Count > 0) throw new NotSupportedException($"{path}: {string.Join("; ", problems)}");
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        foreach (var t in graph.Initializer) _initializers[t.Name] = TensorProtos.ToTensor(t, $"{path}: initializer '{t.Name}'", External(t, directory, path)).DetachFromDisposeScope();
        Inputs = graph.Input.Where(i => !_initializers.ContainsKey(i.Name)).Select(i => i.Name).ToArray();
        Outputs = graph.Output.Select(o => o.Name).ToArray();
        Metadata = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
    }

    public ModelProto Proto { get; }
    public string Path { get; }
    public string[] Inputs { get; }
    public string[] Outputs { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>A model already in memory (the exporter checks its traced graphs this way).</summary>
    internal static OnnxModel FromProto(ModelProto proto, string name) => new(proto, name);

    /// <summary>Loads and checks a model; a malformed, truncated or unsupported file is an error naming what is wrong.</summary>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model", path);
        ModelProto proto;
        long fileLength; // from the open file: FileInfo.Length of a symbolic link is the link's own length
        try
        {
            using var file = File.OpenRead(path);
            fileLength = file.Length;
            proto = ModelProto.Parser.ParseFrom(file);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a valid ONNX model (malformed or truncated protobuf: {e.Message})", e);
        }
        // A file far smaller than its inline initializers claim is rejected before any allocation.
        long declared = proto.Graph?.Initializer.Where(t => t.DataLocation != TensorProto.Types.DataLocation.External)
            .Sum(t => t.Dims.Aggregate(1L, (a, d) => a * Math.Max(d, 0)) * TensorProtos.ElementSize(t.DataType)) ?? 0;
        if (declared > fileLength * 2 + 1024)
            throw new InvalidDataException($"{path}: initializers declare {declared} bytes, the file has {fileLength}");
        return new OnnxModel(proto, path);
    }

    private static byte[]? External(TensorProto t, string directory, string path)
    {
        if (t.DataLocation != TensorProto.Types.DataLocation.External) return null;
        var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!entries.TryGetValue("location", out var location)) throw new InvalidDataException($"{path}: initializer '{t.Name}' has external data without a location");
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, location));
        if (!full.StartsWith(directory + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: initializer '{t.Name}' points outside the model's folder ({location})");
        if (!File.Exists(full)) throw new FileNotFoundException($"{path}: external data file {location} of initializer '{t.Name}' is missing", full);
        using var stream = File.OpenRead(full);
        long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
        long length = entries.TryGetValue("length", out var l) ? long.Parse(l) : stream.Length - offset;
        long expected = t.Dims.Aggregate(1L, (a, d) => a * d) * TensorProtos.ElementSize(t.DataType);
        if (length != expected || offset < 0 || offset + length > stream.Length)
            throw new InvalidDataException($"{path}: external data of '{t.Name}' ({location}, offset {offset}, length {length}) does not hold its {expected} bytes");
        stream.Position = offset;
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Runs the graph; inputs by name, outputs by name. Nodes run in the file's order, which ONNX requires to be topological.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var noGrad = torch.no_grad();
        var values = new Dictionary<string, Tensor>(_initializers);
        foreach (var name in Inputs)
            values[name] = inputs.TryGetValue(name, out var v) ? v : throw new ArgumentException($"{Path}: input '{name}' was not given");
        foreach (var node in Proto.Graph.Node)
        {
            var args = node.Input.Select(n => n.Length == 0 ? null : values.TryGetValue(n, out var t) ? t
                : throw new InvalidDataException($"{Path}: node '{node.Name}' ({node.OpType}) reads '{n}', which nothing produced before it")).ToArray();
            Tensor[] results;
            try
            {
                results = Operators.All[node.OpType](new NodeContext(node, args, _opset));
            }
            catch (Exception e) when (e is ShapeException or DTypeException or ArgumentException)
            {
                throw new InvalidDataException($"{Path}: node '{node.Name}' ({node.OpType}) failed: {e.Message}", e);
            }
            for (int i = 0; i < Math.Min(results.Length, node.Output.Count); i++)
                if (node.Output[i].Length > 0) values[node.Output[i]] = results[i];
        }
        return Outputs.ToDictionary(o => o, o => values.TryGetValue(o, out var t) ? t : throw new InvalidDataException($"{Path}: output '{o}' was never produced"));
    }
}
