using Ganymede.Tests;
using Ganymede.NN;
using Ganymede.Onnx.Runtime;

namespace Ganymede.Onnx.Tests;

/// <summary>Models exported here, and by PyTorch, run on ONNX Runtime with the original's outputs; bad files and inputs are clear errors.</summary>
public class ImportTests : TempDirectoryTest
{
    public static TheoryData<string> Layers => new() { "conv", "conv_bn", "bn", "convt", "pools", "activations", "upsample", "linear", "unet" };

    private static Module Layer(string name)
    {
        var g = new Generator(7);
        Module m = name switch
        {
            "conv" => new Sequential(new Conv2d(3, 5, 3, stride: 2, padding: 1, dilation: 1, groups: 1, generator: g), new Conv2d(5, 4, 3, padding: 2, dilation: 2, groups: 1, bias: false, generator: g)),
            "conv_bn" => new Sequential(new Conv2d(3, 4, 3, padding: 1, generator: g), new BatchNorm2d(4), new ReLU()),
            "bn" => new Sequential(new BatchNorm2d(3), new Sigmoid()),
            "convt" => new Sequential(new ConvTranspose2d(3, 4, 3, stride: 2, padding: 1, output_padding: 1, generator: g), new ConvTranspose2d(4, 2, 2, stride: 2, generator: g)),
            "pools" => new Sequential(new MaxPool2d(2), new AvgPool2d(3, 1, 1), new MaxPool2d(3, 2, 1)),
            "activations" => new Sequential(new LeakyReLU(0.2f), new Tanh(), new Dropout(0.5f), new Identity(), new ReLU()),
            "upsample" => new Sequential(new Upsample(2, "nearest"), new Upsample(2, "bilinear")),
            "linear" => new Linear(12, 3, generator: g),
            _ => new UNet(3, 2, 4, 2, generator: g, convBias: true, upKernel: 3),
        };
        // Non-trivial batch-norm statistics, as after training.
        foreach (var (n, b) in m.named_buffers())
            if (n.EndsWith("running_mean")) b.copy_(torch.randn([b.size(0)], g));
            else if (n.EndsWith("running_var")) b.copy_(torch.rand([b.size(0)], g).add(0.5f));
        m.eval();
        return m;
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Every_layer_round_trips_through_export_and_import(string name)
    {
        using var model = Layer(name);
        bool flat = name == "linear";
        var input = flat ? torch.randn([4, 12], new Generator(1)) : torch.randn([2, 3, 16, 16], new Generator(1));
        var path = Path.Combine(Dir, name + ".onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, flat ? [12] : [3, 16, 16], new OnnxExportOptions { FoldBatchNorm = name != "bn" }), path);
        var onnx = OnnxModel.Load(path);
        Tensor expected;
        using (torch.no_grad()) expected = model.forward(input);
        var actual = onnx.Run(new Dictionary<string, Tensor> { [onnx.Inputs[0]] = input })[onnx.Outputs[0]];
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.ToArray();
        var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4f + 1e-4f * Math.Abs(e[i]), $"{name} output {i}: {a[i]} vs {e[i]}");
    }

    [Fact]
    public void The_pytorch_reference_unet_exported_by_torch_runs_with_torchs_outputs()
    {
        var path = Path.Combine(Dir, "torch_unet.onnx");
        var reference = SharedData.Reference("unet_pytorch.py");
        Peers.Python(
            "import sys, torch, numpy as np\n" +
            $"sys.path.insert(0, '{Path.GetDirectoryName(reference)}'); from unet_pytorch import UNet\n" +
            "torch.manual_seed(0); m = UNet(base=8, depth=3, dropout=0.0)\n" +
            "for mod in m.modules():\n    if isinstance(mod, torch.nn.BatchNorm2d): mod.running_mean.uniform_(-0.5, 0.5); mod.running_var.uniform_(0.5, 1.5)\n" +
            "m.eval(); x = torch.randn(2, 1, 32, 32)\n" +
            $"torch.onnx.export(m, x, '{path}', input_names=['image'], output_names=['logits'], opset_version=13, dynamic_axes={{'image': {{0: 'batch'}}}})\n" +
            $"x.numpy().astype('<f4').tofile('{path}.in'); m(x).detach().numpy().astype('<f4').tofile('{path}.out'); print('ok')");
        var onnx = OnnxModel.Load(path);
        var input = torch.tensor(ReadFloats(path + ".in"), 2, 1, 32, 32);
        var actual = onnx.Run(new Dictionary<string, Tensor> { ["image"] = input })["logits"].ToArray();
        var expected = ReadFloats(path + ".out");
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f + 1e-4f * Math.Abs(expected[i]), $"output {i}: {actual[i]} vs torch {expected[i]}");
    }

    [Fact]
    public void Initializers_in_external_data_files_load()
    {
        using var model = Layer("conv_bn");
        var path = Path.Combine(Dir, "external.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, 3, 8, 8), path);
        Peers.Python($"import onnx; m = onnx.load('{path}'); onnx.save_model(m, '{path}', save_as_external_data=True, all_tensors_to_one_file=True, location='weights.bin', size_threshold=0); print('ok')");
        Assert.True(File.Exists(Path.Combine(Dir, "weights.bin")));
        var onnx = OnnxModel.Load(path);
        var input = torch.randn([1, 3, 8, 8], new Generator(2));
        Tensor expected;
        using (torch.no_grad()) expected = model.forward(input);
        var actual = onnx.Run(new Dictionary<string, Tensor> { [onnx.Inputs[0]] = input })[onnx.Outputs[0]];
        Assert.True(expected.sub(actual).abs().max().item() < 1e-4f);
        File.WriteAllBytes(Path.Combine(Dir, "weights.bin"), new byte[10]);
        Assert.Contains("external.onnx", Assert.Throws<InvalidDataException>(() => OnnxModel.Load(path)).Message);

        // External data must stay beside the model: a location that leaves its folder is refused, never read.
        var sub = Directory.CreateDirectory(Path.Combine(Dir, "model")).FullName;
        File.WriteAllBytes(Path.Combine(Dir, "outside.bin"), File.ReadAllBytes(Path.Combine(Dir, "weights.bin")));
        var escaping = Path.Combine(sub, "escaping.onnx");
        Peers.Python($"import onnx; m = onnx.load('{path}', load_external_data=False)\n" +
                     "for t in m.graph.initializer:\n    [e.__setattr__('value', '../outside.bin') for e in t.external_data if e.key == 'location']\n" +
                     $"onnx.save_model(m, '{escaping}'); print('ok')");
        Assert.Contains("escaping.onnx", Assert.Throws<InvalidDataException>(() => OnnxModel.Load(escaping)).Message);
    }

    [Theory]
    [InlineData(32, true)]
    [InlineData(64, false)]
    [InlineData(128, true)]
    public void Exported_unets_run_on_onnx_runtime_with_the_engines_outputs_at_any_batch(int size, bool foldBatchNorm)
    {
        using var model = Layer("unet");
        var path = Path.Combine(Dir, $"unet{size}.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, [3, size, size], new OnnxExportOptions { FoldBatchNorm = foldBatchNorm }), path);
        using var onnx = OnnxModel.Load(path);
        foreach (int batch in new[] { 1, 3 })
        {
            var input = torch.randn([batch, 3, size, size], new Generator((ulong)batch));
            Tensor expected;
            using (torch.no_grad()) expected = model.forward(input);
            var actual = onnx.Run(new Dictionary<string, Tensor> { [onnx.Inputs[0]] = input })[onnx.Outputs[0]];
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.sub(actual).abs().max().item() <= 1e-4f, $"batch {batch}: differs by {expected.sub(actual).abs().max().item()}");
        }
    }

    [Fact]
    public void Inputs_of_the_wrong_name_type_or_shape_are_refused_with_the_reason()
    {
        using var model = Layer("conv_bn");
        var path = Path.Combine(Dir, "checked.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, 3, 8, 8), path);
        using var onnx = OnnxModel.Load(path);
        var input = onnx.Inputs[0];
        Assert.Equal(["float32"], onnx.InputInfo.Select(i => i.ElementType));
        Assert.Equal($"{path}: input '{input}' has shape [2, 3, 9, 8]; the model expects [{onnx.InputInfo[0].ShapeText}]",
            Assert.Throws<ArgumentException>(() => onnx.Run(new Dictionary<string, Tensor> { [input] = torch.zeros(2, 3, 9, 8) })).Message);
        Assert.Contains("the model has no input 'other'", Assert.Throws<ArgumentException>(() => onnx.Run(new Dictionary<string, Tensor> { ["other"] = torch.zeros(2, 3, 8, 8) })).Message);
        Assert.Equal($"{path}: input '{input}' is int32; the model expects float32",
            Assert.Throws<ArgumentException>(() => onnx.Run(new Dictionary<string, OnnxTensor> { [input] = new(new int[3 * 64], 1, 3, 8, 8) })).Message);
        Assert.Contains("is a Int64 tensor; the model expects float32",
            Assert.Throws<ArgumentException>(() => onnx.Run(new Dictionary<string, Tensor> { [input] = torch.zeros(1, 3, 8, 8).to(DType.Int64) })).Message);
    }

    [Fact]
    public void Malformed_truncated_and_unsupported_models_are_clear_errors()
    {
        using var model = Layer("conv_bn");
        var good = Path.Combine(Dir, "good.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, 3, 8, 8), good);
        var bytes = File.ReadAllBytes(good);
        var truncated = Path.Combine(Dir, "truncated.onnx");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated.onnx", Assert.ThrowsAny<Exception>(() => OnnxModel.Load(truncated)).Message);
        var garbage = Path.Combine(Dir, "garbage.onnx");
        File.WriteAllText(garbage, "definitely not protobuf \u0001\u0002\u0003");
        Assert.Contains("garbage.onnx", Assert.ThrowsAny<Exception>(() => OnnxModel.Load(garbage)).Message);

        var proto = OnnxExporter.Export(model, 3, 8, 8);
        proto.Graph.Node[0].OpType = "FancyConv";
        var unknown = Path.Combine(Dir, "unknown.onnx");
        OnnxExporter.Save(proto, unknown);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(unknown));
        Assert.Contains("unknown.onnx", ex.Message);
        Assert.Contains("FancyConv", ex.Message);

        var lying = OnnxExporter.Export(model, 3, 8, 8);
        lying.Graph.Initializer[0].Dims[0] = 1_000_000_000;
        var big = Path.Combine(Dir, "big.onnx");
        OnnxExporter.Save(lying, big);
        Assert.Contains("big.onnx", Assert.Throws<InvalidDataException>(() => OnnxModel.Load(big)).Message);
    }

    private static float[] ReadFloats(string path)
    {
        var b = File.ReadAllBytes(path);
        return Enumerable.Range(0, b.Length / 4).Select(i => BitConverter.ToSingle(b, i * 4)).ToArray();
    }

}
