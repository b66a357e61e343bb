using Ganymede.IO;
using Ganymede.NN;
using Ganymede.Onnx.Proto;
using Google.Protobuf;
using static Ganymede.Onnx.GraphBuilder;

namespace Ganymede.Onnx;

/// <summary>How to export: opset (13 to 17), batch norm folded into convolutions, logits or probabilities out, names and metadata.</summary>
public sealed record OnnxExportOptions
{
    public int Opset { get; init; } = 17;
    public bool FoldBatchNorm { get; init; } = true;
    public bool Probabilities { get; init; }
    public string InputName { get; init; } = "image";
    public string? OutputName { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Exports a module built from the engine's layers as an ONNX inference graph: input [batch, C, H, W]
/// (batch dynamic), Dropout removed, BatchNormalization folded into the preceding convolution or kept.
/// </summary>
public static class OnnxExporter
{
    public const string Producer = "ganymede";

    /// <summary>An image model: input [batch, channels, height, width].</summary>
    public static ModelProto Export(Module model, int channels, int height, int width, OnnxExportOptions? options = null) =>
        Export(model, [channels, height, width], options);

    /// <summary>Any model: input [batch, ..<paramref name="sampleShape"/>]; the output's shape is found by running the model once.</summary>
    public static ModelProto Export(Module model, int[] sampleShape, OnnxExportOptions? options = null)
    {
        var o = options ?? new OnnxExportOptions();
        if (o.Opset is < 13 or > 17) throw new ArgumentException($"ONNX export supports opsets 13 to 17, not {o.Opset}");
        var g = new GraphBuilder();
        var input = g.Unique(o.InputName);
        g.Graph.Input.Add(Value(input, ["batch", .. sampleShape.Cast<object>()]));
        string output;
        bool traced = false;
        try
        {
            output = new LayerEmitter(g, o).Emit(model, input, "model");
        }
        catch (NotSupportedException)
        {
            // A module the layer emitter does not know: trace the whole forward pass instead.
            g = new GraphBuilder();
            input = g.Unique(o.InputName);
            g.Graph.Input.Add(Value(input, ["batch", .. sampleShape.Cast<object>()]));
            output = Trace(g, model, input, sampleShape);
            traced = true;
        }
        var outShape = OutputShape(model, sampleShape);
        output = g.Node(o.Probabilities ? "Sigmoid" : "Identity", [output], o.OutputName ?? (o.Probabilities ? "mask_probabilities" : "mask_logits"));
        g.Graph.Output.Add(Value(output, ["batch", .. outShape[1..].Cast<object>()]));
        var proto = new ModelProto
        {
            IrVersion = o.Opset >= 14 ? 8 : 7,
            ProducerName = Producer,
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = g.Graph,
            DocString = "exported by Ganymede",
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = o.Opset });
        foreach (var (key, value) in o.Metadata) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        if (traced) Verify(proto, model, sampleShape, o.Probabilities);
        return proto;
    }

    /// <summary>Writes the model atomically (temporary name, then rename).</summary>
    public static void Save(ModelProto model, string path) => AtomicFile.Write(path, model.WriteTo);

    /// <summary>
    /// A traced graph is only as good as the trace: an operation that records nothing would turn into a constant.
    /// So the graph is run on a random batch of two and must reproduce the model.
    /// </summary>
    private static void Verify(ModelProto proto, Module model, int[] sampleShape, bool probabilities)
    {
        using var onnx = Runtime.OnnxModel.FromBytes(proto.ToByteArray(), "traced export");
        var input = torch.randn([2, .. sampleShape], new Generator(12345));
        bool training = model.training;
        model.eval();
        Tensor expected;
        using (torch.no_grad()) expected = model.forward(input);
        model.train(training);
        if (probabilities) expected = expected.sigmoid();
        var actual = onnx.Run(new Dictionary<string, Tensor> { [onnx.Inputs[0]] = input })[onnx.Outputs[0]];
        if (!actual.shape.SequenceEqual(expected.shape) || actual.sub(expected).abs().max().item() > 1e-3f + 1e-3f * expected.abs().max().item())
            throw new NotSupportedException("ONNX export: the traced graph does not reproduce the model (it uses an operation the trace cannot capture)");
    }

    private static string Trace(GraphBuilder g, Module model, string inputName, int[] sampleShape)
    {
        bool training = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var sample = torch.zeros([1, .. sampleShape]);
            var recorder = new TraceEmitter(g, model, sample, inputName);
            Tensor result;
            using (Tracing.OpTrace.Begin(recorder)) result = model.forward(sample);
            return recorder.NameOf(result);
        }
        finally
        {
            model.train(training);
        }
    }

    /// <summary>The output shape, found by running the model once on a one-sample batch of zeros.</summary>
    private static int[] OutputShape(Module model, int[] sampleShape)
    {
        bool training = model.training;
        model.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var result = model.forward(torch.zeros([1, .. sampleShape])).shape;
        model.train(training);
        return result;
    }
}
