using System.Runtime.InteropServices;
using Ganymede.Onnx.Proto;
using Ganymede.Onnx.Runtime;
using Microsoft.ML.OnnxRuntime;
using DataType = Ganymede.Onnx.Proto.TensorProto.Types.DataType;

namespace Ganymede.Onnx.Tests;

/// <summary>
/// ONNX's own node tests (Debian libonnx-testdata), every one whose inputs and outputs are tensors, run through
/// Ganymede's integration of ONNX Runtime (OnnxModel on OnnxTensors of every element type): each must reproduce its
/// expected outputs, or be refused by the runtime with a clear error naming the file.
/// </summary>
public class ConformanceTests
{
    private const string Root = "/usr/share/libonnx-testdata/data/node";

    /// <summary>
    /// Cases that cannot match, whoever runs them: random operators (their outputs are samples), float-to-string casts
    /// (the digits printed are the runtime's choice), files that store bfloat16 as uint16 (an old convention of the
    /// test data), and three where ONNX Runtime 1.31.1 itself departs from the reference outputs.
    /// </summary>
    private static readonly string[] Unmatchable =
    [
        "test_bernoulli", "test_training_dropout", "test_cast_FLOAT_to_STRING", "test_castlike_FLOAT_to_STRING",
        "test_cast_BFLOAT16_to_FLOAT", "test_cast_FLOAT_to_BFLOAT16", "test_castlike_BFLOAT16_to_FLOAT", "test_castlike_FLOAT_to_BFLOAT16",
        "test_maxunpool_export_with_output_shape", "test_resize_downsample_scales_cubic_align_corners", "test_resize_downsample_scales_linear_align_corners",
    ];

    [Fact]
    public void The_onnx_node_tests_reproduce_their_expected_outputs()
    {
        Assert.True(Directory.Exists(Root), $"{Root} is missing: install libonnx-testdata");
        var failures = new List<string>();
        int passed = 0, refused = 0;
        foreach (var dir in Directory.GetDirectories(Root).Order())
        {
            var name = Path.GetFileName(dir);
            if (Unmatchable.Any(u => name.StartsWith(u, StringComparison.Ordinal))) continue;
            OnnxModel model;
            try
            {
                model = OnnxModel.Load(Path.Combine(dir, "model.onnx"), threads: 1);
            }
            catch (InvalidDataException e) when (e.Message.Contains("model.onnx", StringComparison.Ordinal))
            {
                refused++; // an operator or type this runtime lacks, said clearly
                continue;
            }
            using (model)
            {
                if (model.InputInfo.Concat(model.OutputInfo).Any(v => v.ElementType is "sequence" or "map" or "optional")) continue;
                foreach (var set in Directory.GetDirectories(dir, "test_data_set_*"))
                {
                    try
                    {
                        var inputs = model.Inputs.Select((n, i) => (n, Read(Path.Combine(set, $"input_{i}.pb")))).ToDictionary(x => x.n, x => x.Item2);
                        var outputs = model.Run(inputs);
                        for (int i = 0; i < model.Outputs.Length; i++) Compare(Read(Path.Combine(set, $"output_{i}.pb")), outputs[model.Outputs[i]]);
                        passed++;
                    }
                    catch (NotSupportedException) { } // a non-tensor value (sequence, optional) in the case's files
                    catch (Exception e)
                    {
                        failures.Add($"{name}: {e.GetType().Name}: {e.Message}");
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} cases failed:\n{string.Join("\n", failures)}");
        Assert.True(passed > 800, $"only {passed} cases passed ({refused} models refused)");
    }

    private static void Compare(OnnxTensor expected, OnnxTensor actual)
    {
        if (expected.ElementType != actual.ElementType) throw new InvalidDataException($"{actual.ElementType}, expected {expected.ElementType}");
        if (!expected.Shape.SequenceEqual(actual.Shape))
            throw new InvalidDataException($"shape [{string.Join(", ", actual.Shape)}], expected [{string.Join(", ", expected.Shape)}]");
        for (int k = 0; k < expected.Data.Length; k++)
        {
            object? e = expected.Data.GetValue(k), a = actual.Data.GetValue(k);
            if (e is string || e is bool) { if (!Equals(e, a)) throw new InvalidDataException($"[{k}] = {a}, expected {e}"); continue; }
            double x = Convert.ToDouble(e is Float16 h ? (float)h : e is BFloat16 b ? (float)b : e), y = Convert.ToDouble(a is Float16 h2 ? (float)h2 : a is BFloat16 b2 ? (float)b2 : a);
            if (!(Math.Abs(x - y) <= 1e-3 + 1e-3 * Math.Abs(x)) && !(double.IsNaN(x) && double.IsNaN(y)) && x != y)
                throw new InvalidDataException($"[{k}] = {y}, expected {x}");
        }
    }

    /// <summary>A TensorProto file as an OnnxTensor of its own element type (raw bytes or typed fields).</summary>
    private static OnnxTensor Read(string path)
    {
        var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
        if (t.Name.Length == 0 && t.Dims.Count == 0 && t.DataType == 0) throw new NotSupportedException($"{path} is not a tensor");
        var shape = t.Dims.ToArray();
        int n = (int)shape.Aggregate(1L, (a, d) => a * d);
        byte[] raw = t.RawData.ToByteArray();
        Array data = (DataType)t.DataType switch
        {
            DataType.Float => t.HasRawData ? Cast<float>(raw) : t.FloatData.ToArray(),
            DataType.Double => t.HasRawData ? Cast<double>(raw) : t.DoubleData.ToArray(),
            DataType.Int64 => t.HasRawData ? Cast<long>(raw) : t.Int64Data.ToArray(),
            DataType.Uint64 => t.HasRawData ? Cast<ulong>(raw) : t.Uint64Data.ToArray(),
            DataType.Int32 => t.HasRawData ? Cast<int>(raw) : t.Int32Data.ToArray(),
            DataType.Uint32 => t.HasRawData ? Cast<uint>(raw) : t.Uint64Data.Select(v => (uint)v).ToArray(),
            DataType.Int16 => t.HasRawData ? Cast<short>(raw) : t.Int32Data.Select(v => (short)v).ToArray(),
            DataType.Uint16 => t.HasRawData ? Cast<ushort>(raw) : t.Int32Data.Select(v => (ushort)v).ToArray(),
            DataType.Int8 => t.HasRawData ? Cast<sbyte>(raw) : t.Int32Data.Select(v => (sbyte)v).ToArray(),
            DataType.Uint8 => t.HasRawData ? raw : t.Int32Data.Select(v => (byte)v).ToArray(),
            DataType.Bool => t.HasRawData ? raw.Select(b => b != 0).ToArray() : t.Int32Data.Select(v => v != 0).ToArray(),
            DataType.Float16 => t.HasRawData ? Cast<Float16>(raw) : t.Int32Data.Select(v => new Float16((ushort)v)).ToArray(),
            DataType.Bfloat16 => t.HasRawData ? Cast<BFloat16>(raw) : t.Int32Data.Select(v => new BFloat16((ushort)v)).ToArray(),
            DataType.String => t.StringData.Select(s => s.ToStringUtf8()).ToArray(),
            var other => throw new NotSupportedException($"{path}: element type {other}"),
        };
        if (data.Length != n) throw new InvalidDataException($"{path}: {data.Length} values for shape [{string.Join(", ", shape)}]");
        return new OnnxTensor(data, shape);
    }

    private static T[] Cast<T>(byte[] raw) where T : struct => MemoryMarshal.Cast<byte, T>(raw).ToArray();
}
