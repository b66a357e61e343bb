using Ganymede.Onnx.Proto;
using Ganymede.Onnx.Runtime;

namespace Ganymede.Onnx.Tests;

/// <summary>
/// ONNX's own node tests (Debian libonnx-testdata): every case whose model the runtime accepts must reproduce the
/// expected outputs; cases it refuses must be refused with a clear NotSupportedException naming the node.
/// </summary>
public class ConformanceTests
{
    private const string Root = "/usr/share/libonnx-testdata/data/node";

    /// <summary>Operators the runtime claims, each of which must pass at least one official case.</summary>
    private static readonly string[] Claimed =
    [
        "conv", "convtranspose", "batchnorm", "relu", "leakyrelu", "sigmoid", "tanh", "maxpool", "averagepool", "concat", "add", "mul",
        "gemm", "matmul", "resize", "softmax", "reshape", "flatten", "transpose", "identity", "constant", "shape", "gather",
        "unsqueeze", "squeeze", "slice", "cast", "clip", "div", "sub", "sqrt", "pow", "reduce_mean", "globalaveragepool", "argmax", "constant_pad",
    ];

    [Fact]
    public void Every_accepted_case_matches_the_expected_outputs()
    {
        Assert.True(Directory.Exists(Root), $"{Root} is missing: install libonnx-testdata");
        var failures = new List<string>();
        var passed = new List<string>();
        foreach (var dir in Directory.GetDirectories(Root).Order())
        {
            var name = Path.GetFileName(dir);
            if (!Claimed.Any(op => name.StartsWith("test_" + op, StringComparison.Ordinal))) continue;
            OnnxModel model;
            try
            {
                model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
            }
            catch (NotSupportedException)
            {
                continue;
            }
            foreach (var set in Directory.GetDirectories(dir, "test_data_set_*"))
            {
                try
                {
                    var inputs = model.Inputs.Select((n, i) => (n, Load(Path.Combine(set, $"input_{i}.pb")))).ToDictionary(x => x.n, x => x.Item2);
                    var outputs = model.Run(inputs);
                    for (int i = 0; i < model.Outputs.Length; i++)
                    {
                        var expected = Load(Path.Combine(set, $"output_{i}.pb"));
                        var actual = outputs[model.Outputs[i]];
                        if (!expected.shape.SequenceEqual(actual.shape))
                            throw new InvalidDataException($"shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
                        var e = expected.ToArray();
                        var a = actual.ToArray();
                        for (int k = 0; k < e.Length; k++)
                            if (!(Math.Abs(e[k] - a[k]) <= 1e-4f + 1e-3f * Math.Abs(e[k])) && !(float.IsNaN(e[k]) && float.IsNaN(a[k])))
                                throw new InvalidDataException($"output {i}[{k}] = {a[k]}, expected {e[k]}");
                    }
                    passed.Add(name);
                }
                catch (NotSupportedException)
                {
                    // Refused while running (e.g. resize scales that do not give whole sizes): a clean refusal, not a wrong answer.
                }
                catch (Exception ex)
                {
                    failures.Add($"{name}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} accepted cases failed:\n{string.Join("\n", failures)}");
        var missing = Claimed.Where(op => !passed.Any(p => p.StartsWith("test_" + op, StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, $"no passing official case for: {string.Join(", ", missing)}");
        Assert.True(passed.Count > 100, $"only {passed.Count} cases passed");
    }

    private static Tensor Load(string path) =>
        TensorProtos.ToTensor(TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), path);
}
