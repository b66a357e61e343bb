using System.IO.Compression;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Png;
using Ganymede.Onnx.Proto;
using Google.Protobuf;
using Ganymede.Server.Services;
using Ganymede.Tests;

namespace Ganymede.Server.Tests;

/// <summary>Type detection reads content, not names: each format is recognised, and a file that lies about its type is not trusted.</summary>
public sealed class DatasetInspectorTests : TempDirectoryTest
{
    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Detect(string path, string? name = null) =>
        DatasetInspector.Inspect(path, name ?? Path.GetFileName(path), "auto", new FileInfo(path).Length, "").Extension;

    [Fact]
    public void Each_format_is_recognised_from_its_content()
    {
        var h5 = Path.Combine(Dir, "a.h5");
        using (var f = H5File.Create(h5))
        {
            f.CreateDataset<float>("X_train", new float[8], [2, 2, 2]).Dispose();
            f.Commit();
        }
        Assert.Equal("h5", Detect(h5, "no-extension"));
        var facts = DatasetInspector.Inspect(h5, "a.h5", "auto", new FileInfo(h5).Length, "");
        Assert.Contains("X_train: float32 [2, 2, 2]", facts.Peek);

        var png = Path.Combine(Dir, "a.png");
        PngImage.FromTensor(torch.zeros(3, 5)).Save(png);
        Assert.Equal("png", Detect(png, "image"));
        Assert.Contains("\"width\":5", DatasetInspector.Inspect(png, "image", "auto", new FileInfo(png).Length, "").Metadata);

        var zip = Path.Combine(Dir, "a.zip");
        using (var z = ZipFile.Open(zip, ZipArchiveMode.Create)) z.CreateEntry("x.txt");
        Assert.Equal("zip", Detect(zip, "archive"));

        Assert.Equal("csv", Detect(Write("t", "a,b\n1,2\n3,4\n"u8.ToArray())));
        Assert.Equal("tabular", Detect(Write("u", "a\tb\n1\t2\n"u8.ToArray())));
        Assert.Equal("txt", Detect(Write("v", "hello\n"u8.ToArray())));
        Assert.Equal("csx", Detect(Write("train.csx", "var x = 1;\n"u8.ToArray())));
        Assert.Equal("ipynb", Detect(Write("nb", """{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}"""u8.ToArray())));
        Assert.Equal("safetensors", Detect(Write("w", [2, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}'])));
        Assert.Equal("data", Detect(Write("x", [0, 1, 2, 3, 255, 254])));
    }

    [Fact]
    public void A_file_named_as_a_model_that_is_not_one_is_described_as_invalid()
    {
        var fake = Write("model.onnx", "definitely not protobuf\n"u8.ToArray());
        Assert.Equal("txt", Detect(fake));
        var claimed = DatasetInspector.Inspect(fake, "model.onnx", "onnx", new FileInfo(fake).Length, "");
        Assert.Equal("onnx", claimed.Extension);
        Assert.StartsWith("not a valid onnx file", claimed.Blurb);
    }

    [Fact]
    public void A_large_model_is_described_without_reading_its_weights()
    {
        const int weightBytes = 200 << 20;
        var graph = new GraphProto { Name = "g" };
        graph.Node.Add(new NodeProto { OpType = "Add", Input = { "x", "w" }, Output = { "y" } });
        graph.Initializer.Add(new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, Dims = { weightBytes / 4 }, RawData = ByteString.CopyFrom(new byte[weightBytes]) });
        ValueInfoProto Value(string name) => new()
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "n" } } } } },
        };
        graph.Input.Add(Value("x"));
        graph.Input.Add(Value("w")); // an initializer listed as an input, as models of IR version 3 do
        graph.Output.Add(Value("y"));
        var model = new ModelProto { IrVersion = 8, ProducerName = "test", Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 13 } } };
        var path = Path.Combine(Dir, "large");
        using (var file = File.Create(path)) model.WriteTo(file);
        model = null;
        GC.Collect();

        long before = GC.GetAllocatedBytesForCurrentThread();
        var facts = DatasetInspector.Inspect(path, "large", "auto", new FileInfo(path).Length, "");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("onnx", facts.Extension);
        Assert.Equal("ONNX model, opset 13, 1 nodes", facts.Blurb);
        Assert.Equal("inputs: x [n]\noutputs: y [n]", facts.Peek);
        Assert.True(allocated < 16 << 20, $"describing a model with {weightBytes >> 20} MiB of weights allocated {allocated >> 20} MiB");
    }
}
