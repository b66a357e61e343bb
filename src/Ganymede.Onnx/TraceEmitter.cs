using Ganymede.NN;
using Ganymede.Tracing;
using static Ganymede.Onnx.GraphBuilder;

namespace Ganymede.Onnx;

/// <summary>
/// Builds the graph from the operations a forward pass actually runs (for models whose modules the layer
/// emitter does not know, such as custom modules written with functional code). Tensors that no traced
/// operation produced (parameters, buffers, constants) become initializers; the batch dimension stays dynamic.
/// </summary>
internal sealed class TraceEmitter : IOpRecorder
{
    private readonly GraphBuilder _g;
    private readonly Dictionary<Tensor, string> _names = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, string> _parameterNames = new(ReferenceEqualityComparer.Instance);

    public TraceEmitter(GraphBuilder g, Module model, Tensor input, string inputName)
    {
        _g = g;
        _names[input] = inputName;
        foreach (var (name, t) in model.named_parameters().Concat(model.named_buffers())) _parameterNames[t] = name;
    }

    public string NameOf(Tensor t) => _names.TryGetValue(t, out var name) ? name : throw new NotSupportedException("ONNX export: the model's output was not produced by a traced operation");

    /// <summary>The value's name, making an initializer for tensors the trace has not seen (weights and constants).</summary>
    private string Input(Tensor t)
    {
        if (_names.TryGetValue(t, out var name)) return name;
        if (t.dtype != DType.Float32) throw new NotSupportedException("ONNX export: only float32 constants are supported in traced graphs");
        name = _g.Initializer(_parameterNames.GetValueOrDefault(t, "constant"), t);
        _names[t] = name;
        return name;
    }

    public void Record(string op, Tensor[] inputs, Tensor output, IReadOnlyDictionary<string, object> a)
    {
        if (op == "identity")
        {
            _names[output] = Input(inputs[0]);
            return;
        }
        var x = inputs.Select(Input).ToArray();
        string hint = op;
        (int H, int W) Pair(string key) => ((int, int))a[key];
        _names[output] = op switch
        {
            "add" or "sub" or "mul" or "div" or "pow" => _g.Node(char.ToUpperInvariant(op[0]) + op[1..], x, hint),
            "maximum" => _g.Node("Max", x, hint),
            "minimum" => _g.Node("Min", x, hint),
            "relu" => _g.Node("Relu", x, hint),
            "leaky_relu" => _g.Node("LeakyRelu", x, hint, Float("alpha", (float)a["slope"])),
            "sigmoid" or "tanh" or "exp" or "log" or "sqrt" or "abs" => _g.Node(char.ToUpperInvariant(op[0]) + op[1..], x, hint),
            "conv2d" => _g.Node("Conv", x, hint, Ints("strides", Pair("stride").H, Pair("stride").W),
                Ints("pads", Pair("padding").H, Pair("padding").W, Pair("padding").H, Pair("padding").W), Ints("dilations", Pair("dilation").H, Pair("dilation").W),
                Int("group", (int)a["groups"]), Ints("kernel_shape", inputs[1].size(2), inputs[1].size(3))),
            "conv_transpose2d" => _g.Node("ConvTranspose", x, hint, Ints("strides", Pair("stride").H, Pair("stride").W),
                Ints("pads", Pair("padding").H, Pair("padding").W, Pair("padding").H, Pair("padding").W), Ints("output_padding", Pair("output_padding").H, Pair("output_padding").W),
                Ints("dilations", Pair("dilation").H, Pair("dilation").W), Int("group", (int)a["groups"]), Ints("kernel_shape", inputs[1].size(2), inputs[1].size(3))),
            "batch_norm" => _g.Node("BatchNormalization", x, hint, Float("epsilon", (float)a["eps"])),
            "max_pool2d" or "avg_pool2d" => Pool(op, x[0], a),
            "cat" => _g.Node("Concat", x, hint, Int("axis", (int)a["dim"])),
            "pad" => Pad(x[0], inputs[0].dim(), (int[])a["pad"], (float)a["value"]),
            "interpolate" => Resize(x[0], inputs[0], output, a),
            "reshape" => Reshape(x[0], inputs[0], (int[])a["shape"]),
            "flatten" when (int)a["axis"] == 1 || inputs[0].dim() == 2 => _g.Node("Flatten", x, hint, Int("axis", (int)a["axis"])),
            "flatten" => Reshape(x[0], inputs[0], output.shape),
            "permute" => _g.Node("Transpose", x, hint, Ints("perm", ((int[])a["dims"]).Select(d => (long)d).ToArray())),
            "softmax" or "log_softmax" => _g.Node(op == "softmax" ? "Softmax" : "LogSoftmax", x, hint, Int("axis", (int)a["dim"])),
            "matmul" => _g.Node("MatMul", x, hint),
            "narrow" => _g.Node("Slice", [x[0], _g.Int64s("starts", [(int)a["start"]]), _g.Int64s("ends", [(int)a["start"] + (int)a["length"]]), _g.Int64s("axes", [(int)a["dim"]])], hint),
            "linear" => Linear(x[0], inputs),
            _ => throw new NotSupportedException($"ONNX export: the operation '{op}' has no ONNX mapping in traced export"),
        };
    }

    private string Pool(string op, string x, IReadOnlyDictionary<string, object> a)
    {
        var (k, s, p) = (((int, int))a["kernel"], ((int, int))a["stride"], ((int, int))a["padding"]);
        var attributes = new List<Onnx.Proto.AttributeProto>
        {
            Ints("kernel_shape", k.Item1, k.Item2), Ints("strides", s.Item1, s.Item2), Ints("pads", p.Item1, p.Item2, p.Item1, p.Item2), Int("ceil_mode", (bool)a["ceil_mode"] ? 1 : 0),
        };
        if (op == "avg_pool2d") attributes.Add(Int("count_include_pad", 1));
        return _g.Node(op == "max_pool2d" ? "MaxPool" : "AveragePool", [x], op, [.. attributes]);
    }

    /// <summary>The engine lists (begin, end) pairs from the last dimension back; ONNX all begins, then all ends.</summary>
    private string Pad(string x, int rank, int[] pad, float value)
    {
        var begins = new long[rank];
        var ends = new long[rank];
        for (int i = 0; i < pad.Length / 2; i++)
        {
            begins[rank - 1 - i] = pad[2 * i];
            ends[rank - 1 - i] = pad[2 * i + 1];
        }
        return _g.Node("Pad", [x, _g.Int64s("pads", [.. begins, .. ends]), _g.Initializer("pad_value", [value], [])], "pad", String("mode", "constant"));
    }

    private string Resize(string x, Tensor input, Tensor output, IReadOnlyDictionary<string, object> a)
    {
        var scales = _g.Initializer("scales", [1, 1, (float)output.size(2) / input.size(2), (float)output.size(3) / input.size(3)], [4]);
        return (string)a["mode"] == "nearest"
            ? _g.Node("Resize", [x, "", scales], "resize", String("mode", "nearest"), String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "floor"))
            : _g.Node("Resize", [x, "", scales], "resize", String("mode", "linear"), String("coordinate_transformation_mode", (bool)a["align_corners"] ? "align_corners" : "half_pixel"));
    }

    /// <summary>A leading dimension equal to the (traced, size-1) batch is written as 0, "copy the input's", so any batch size works.</summary>
    private string Reshape(string x, Tensor input, int[] shape)
    {
        var target = shape.Select((d, i) => i == 0 && input.dim() > 0 && d == input.size(0) ? 0L : d).ToArray();
        return _g.Node("Reshape", [x, _g.Int64s("shape", target)], "reshape");
    }

    /// <summary>y = x·Wᵀ + b as MatMul with the transposed weight (valid for any number of leading dimensions).</summary>
    private string Linear(string x, Tensor[] inputs)
    {
        var y = _g.Node("MatMul", [x, _g.Initializer(_parameterNames.GetValueOrDefault(inputs[1], "weight") + "_t", inputs[1].T.contiguous())], "linear");
        return inputs.Length > 2 ? _g.Node("Add", [y, Input(inputs[2])], "linear_bias") : y;
    }
}
