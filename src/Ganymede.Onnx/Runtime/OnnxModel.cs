using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Ganymede.Onnx.Runtime;

/// <summary>
/// An ONNX model on ONNX Runtime, the format's reference runtime: any model it runs (exported by Ganymede, PyTorch,
/// TensorFlow or scikit-learn), on the engine's tensors or on typed arrays (<see cref="OnnxTensor"/>) of any element
/// type. Inputs are checked against the model's declared names, element types and shapes before it runs, and every
/// failure names the file and the problem. Graph optimisations are on; the runtime uses the job's cores.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;

    private OnnxModel(InferenceSession session, string path)
    {
        _session = session;
        Path = path;
        InputInfo = session.InputMetadata.Select(kv => Describe(kv.Key, kv.Value)).ToArray();
        OutputInfo = session.OutputMetadata.Select(kv => Describe(kv.Key, kv.Value)).ToArray();
        Inputs = InputInfo.Select(i => i.Name).ToArray();
        Outputs = OutputInfo.Select(o => o.Name).ToArray();
        Metadata = new Dictionary<string, string>(session.ModelMetadata.CustomMetadataMap);
    }

    public string Path { get; }
    public IReadOnlyList<OnnxValueInfo> InputInfo { get; }
    public IReadOnlyList<OnnxValueInfo> OutputInfo { get; }
    public string[] Inputs { get; }
    public string[] Outputs { get; }
    /// <summary>The model's metadata_props (Ganymede's exports keep their training configuration there).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Loads a model; a file that is not ONNX, or uses what the runtime lacks, is an error naming the file and the problem.</summary>
    /// <param name="threads">threads for one operator; by default the job's cores (GANYMEDE_SLOTS), else the machine's.</param>
    public static OnnxModel Load(string path, int? threads = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model", path);
        return Create(options => new InferenceSession(path, options), path, threads);
    }

    /// <summary>A model already in memory (the exporter checks its traced graphs this way).</summary>
    public static OnnxModel FromBytes(byte[] model, string name, int? threads = null) => Create(options => new InferenceSession(model, options), name, threads);

    private static OnnxModel Create(Func<SessionOptions, InferenceSession> open, string path, int? threads)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads ?? DefaultThreads(),
            InterOpNumThreads = 1,
        };
        try
        {
            return new OnnxModel(open(options), path);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it: {Reason(e)}", e);
        }
    }

    /// <summary>The job's cores where the server set them (GANYMEDE_SLOTS), else every core.</summary>
    private static int DefaultThreads() =>
        int.TryParse(Environment.GetEnvironmentVariable("GANYMEDE_SLOTS"), out var slots) && slots > 0 ? slots : Environment.ProcessorCount;

    /// <summary>Runs the model on engine tensors (float32, int64, uint8, bool; converted to the declared type of the same kind) and returns every output as one.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) =>
        Run(inputs.ToDictionary(kv => kv.Key, kv => OnnxTensor.From(kv.Value, Declared(kv.Key).ElementType, Path, kv.Key)))
            .ToDictionary(kv => kv.Key, kv => kv.Value.ToTensor(Path, kv.Key));

    /// <summary>Runs the model on typed arrays of any element type the runtime supports; returns every output.</summary>
    public Dictionary<string, OnnxTensor> Run(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        Check(inputs);
        var values = new List<OrtValue>();
        try
        {
            foreach (var info in InputInfo) values.Add(inputs[info.Name].ToOrtValue());
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, Inputs, values, Outputs);
            return Outputs.Zip(results).ToDictionary(p => p.First, p => OnnxTensor.FromOrtValue(p.Second, Path, p.First));
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{Path}: the model failed to run: {Reason(e)}", e);
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    /// <summary>Every declared input given, nothing else, each of its declared element type and of a shape its declared one allows.</summary>
    private void Check(IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        foreach (var name in inputs.Keys.Where(n => !Inputs.Contains(n)))
            throw new ArgumentException($"{Path}: the model has no input '{name}'; its inputs are {Names(InputInfo)}");
        foreach (var info in InputInfo)
        {
            if (!inputs.TryGetValue(info.Name, out var given)) throw new ArgumentException($"{Path}: input '{info.Name}' was not given; the model's inputs are {Names(InputInfo)}");
            if (given.ElementType != info.ElementType)
                throw new ArgumentException($"{Path}: input '{info.Name}' is {given.ElementType}; the model expects {info.ElementType}");
            bool fits = given.Shape.Length == info.Shape.Length && given.Shape.Zip(info.Shape).All(p => p.Second < 0 || p.First == p.Second);
            if (!fits) throw new ArgumentException($"{Path}: input '{info.Name}' has shape [{string.Join(", ", given.Shape)}]; the model expects [{info.ShapeText}]");
        }
    }

    private OnnxValueInfo Declared(string input) => InputInfo.FirstOrDefault(i => i.Name == input)
        ?? throw new ArgumentException($"{Path}: the model has no input '{input}'; its inputs are {Names(InputInfo)}");

    private static string Names(IEnumerable<OnnxValueInfo> values) => string.Join(", ", values.Select(v => $"'{v.Name}' {v.ElementType} [{v.ShapeText}]"));

    private static OnnxValueInfo Describe(string name, NodeMetadata m) => m.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR
        ? new OnnxValueInfo(name, OnnxTensor.ElementName(m.ElementDataType), m.Dimensions.Select(d => (long)d).ToArray(), m.SymbolicDimensions)
        : new OnnxValueInfo(name, m.OnnxValueType.ToString().Replace("ONNX_TYPE_", "").ToLowerInvariant(), [], []);

    /// <summary>ONNX Runtime's message without its source-file prefix ("[ErrorCode:...] ...").</summary>
    private static string Reason(OnnxRuntimeException e) => e.Message.Replace("\n", " ").Trim();

    public void Dispose() => _session.Dispose();
}

/// <summary>
/// A model input or output as declared: its element type ("float32", "int64", ...; "sequence" or "map" for
/// non-tensors) and shape, -1 where a dimension is free (its symbolic name, when it has one, in SymbolicShape).
/// </summary>
public sealed record OnnxValueInfo(string Name, string ElementType, long[] Shape, string[] SymbolicShape)
{
    public string ShapeText => string.Join(", ", Shape.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : i < SymbolicShape.Length && SymbolicShape[i].Length > 0 ? SymbolicShape[i] : "?"));
}
