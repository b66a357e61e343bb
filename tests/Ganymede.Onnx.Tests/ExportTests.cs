using Ganymede.Tests;
using Ganymede.NN;
using Ganymede.NN.Optim;

namespace Ganymede.Onnx.Tests;

/// <summary>Exported models pass ONNX's own checker and run in OpenCV's importer with Ganymede's numbers.</summary>
public class ExportTests : TempDirectoryTest
{
    /// <summary>A small UNet with a few training steps behind it, so batch norm statistics are not the defaults.</summary>
    private static UNet TrainedUNet(int outChannels = 1, bool convBias = false, int upKernel = 2)
    {
        var model = new UNet(1, outChannels, 4, 2, generator: new Generator(3), convBias: convBias, upKernel: upKernel);
        var optimizer = new Adam(model.parameters(), lr: 1e-2f);
        var x = torch.rand([4, 1, 16, 16], new Generator(1));
        var y = torch.rand([4, outChannels, 16, 16], new Generator(2)).gt(0.7f).@float();
        for (int i = 0; i < 3; i++)
        {
            optimizer.zero_grad();
            F.binary_cross_entropy_with_logits(model.forward(x), y).backward();
            optimizer.step();
        }
        model.eval();
        return model;
    }

    [Theory]
    [InlineData(17, true, false, 1, false, 2)]
    [InlineData(13, false, true, 2, true, 3)]
    [InlineData(15, true, true, 1, true, 3)]
    public void Passes_the_onnx_checker_and_runs_in_opencv_with_our_outputs(int opset, bool fold, bool probabilities, int outChannels, bool bias, int upKernel)
    {
        using var model = TrainedUNet(outChannels, bias, upKernel);
        var path = Path.Combine(Dir, "unet.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, 1, 32, 32, new OnnxExportOptions
        {
            Opset = opset, FoldBatchNorm = fold, Probabilities = probabilities, Metadata = new Dictionary<string, string> { ["input_size"] = "32" },
        }), path);
        var input = torch.rand([3, 1, 32, 32], new Generator(9));
        Tensor expected;
        using (torch.no_grad())
        {
            expected = model.forward(input);
            if (probabilities) expected = expected.sigmoid();
        }
        var inputFile = Path.Combine(Dir, "input.bin");
        File.WriteAllBytes(inputFile, input.ToArray().SelectMany(BitConverter.GetBytes).ToArray());
        var report = Peers.Python(
            "import onnx, cv2, numpy as np\n" +
            $"m = onnx.load('{path}'); onnx.checker.check_model(m, full_check=True)\n" +
            "outs = [o.name for o in m.graph.output]; meta = {p.key: p.value for p in m.metadata_props}\n" +
            $"net = cv2.dnn.readNetFromONNX('{path}'); x = np.fromfile('{inputFile}', dtype='<f4').reshape(3, 1, 32, 32)\n" +
            "net.setInput(x); y = net.forward()\n" +
            $"y.astype('<f4').tofile('{Path.Combine(Dir, "cv.bin")}')\n" +
            "print(m.ir_version, m.opset_import[0].version, m.graph.input[0].name, outs[0], m.producer_name, meta['input_size'], list(y.shape))");
        Assert.Equal($"{(opset >= 14 ? 8 : 7)} {opset} image {(probabilities ? "mask_probabilities" : "mask_logits")} ganymede 32 [3, {outChannels}, 32, 32]", report);
        var theirs = File.ReadAllBytes(Path.Combine(Dir, "cv.bin"));
        var values = Enumerable.Range(0, theirs.Length / 4).Select(i => BitConverter.ToSingle(theirs, i * 4)).ToArray();
        var ours = expected.ToArray();
        Assert.Equal(ours.Length, values.Length);
        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - values[i]) <= 1e-4f + 1e-4f * Math.Abs(ours[i]), $"output {i}: Ganymede {ours[i]}, OpenCV {values[i]}");
    }

    [Fact]
    public void Custom_modules_written_with_functional_code_export_by_tracing()
    {
        using var model = new Functional();
        var path = Path.Combine(Dir, "functional.onnx");
        OnnxExporter.Save(OnnxExporter.Export(model, 2, 8, 8), path);
        var report = Peers.Python($"import onnx; m = onnx.load('{path}'); onnx.checker.check_model(m, full_check=True); print(sorted(set(n.op_type for n in m.graph.node)))");
        foreach (var op in new[] { "Add", "Mul", "Softmax", "Reshape", "Transpose", "Pad", "MatMul", "Sigmoid", "Concat", "Resize", "Conv", "AveragePool", "Flatten" })
            Assert.Contains($"'{op}'", report);
        var onnx = Runtime.OnnxModel.Load(path);
        var input = torch.randn([3, 2, 8, 8], new Generator(4));
        Tensor expected;
        using (torch.no_grad()) expected = model.forward(input);
        var actual = onnx.Run(new Dictionary<string, Tensor> { [onnx.Inputs[0]] = input })[onnx.Outputs[0]];
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.sub(actual).abs().max().item() < 1e-4f, "traced export differs from the module");
    }

    [Fact]
    public void Operations_without_an_onnx_mapping_are_a_clear_error()
    {
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExporter.Export(new Sequential(new Conv2d(1, 2, 3), new Clamped()), 1, 8, 8));
        Assert.Contains("clamp", ex.Message);
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(new Sequential(new ReLU()), 1, 8, 8, new OnnxExportOptions { Opset = 9 }));
    }

    private sealed class Clamped : Module
    {
        public override Tensor forward(Tensor input) => input.clamp(0, 1);
    }

    /// <summary>A model whose forward uses functional operations the layer emitter has no module for.</summary>
    private sealed class Functional : Module
    {
        private readonly Conv2d _conv;
        private readonly Linear _linear;

        public Functional()
        {
            _conv = register_module("conv", new Conv2d(2, 4, 3, padding: 1, generator: new Generator(1)));
            _linear = register_module("linear", new Linear(4, 4, generator: new Generator(2)));
        }

        public override Tensor forward(Tensor x)
        {
            var y = _conv.forward(x).add(x.narrow(1, 0, 1)).mul(0.5f);
            y = y.flatten(1).mul(1.5f).reshape(y.size(0), 4, 8, 8);
            var tokens = y.reshape(y.size(0), 4, 64).permute(0, 2, 1);
            var mixed = F.softmax(_linear.forward(tokens), 2).sub(0.25f).div(2f);
            var back = mixed.permute(0, 2, 1).reshape(y.size(0), 4, 8, 8).sigmoid();
            var padded = F.pad(back, [1, 1, 1, 1], 0.5f);
            var joined = torch.cat([padded, F.interpolate(F.avg_pool2d(padded, 2), (10, 10), "nearest")], 1);
            return joined;
        }
    }
}
