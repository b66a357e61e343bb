using System.Globalization;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Nifti;
using Ganymede.Formats.SafeTensors;
using Ganymede.Onnx.Runtime;

namespace Ganymede.Cli;

/// <summary>`data info`: the structure of an H5, NIfTI or safetensors file, with shapes, types, value ranges and attributes.</summary>
internal static class FileInfoPrinter
{
    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a];

    public static void Print(string path, TextWriter output)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var head = new byte[8];
        using (var stream = File.OpenRead(path)) stream.ReadExactly(head, 0, (int)Math.Min(8, stream.Length));
        if (head.AsSpan().SequenceEqual(Hdf5Signature)) PrintHdf5(path, output);
        else if (path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase)) PrintNifti(path, output);
        else if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) PrintSafeTensors(path, output);
        else if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) PrintOnnx(path, output);
        else throw new InvalidDataException($"{path}: not an HDF5, NIfTI (.nii, .nii.gz), safetensors or ONNX file");
    }

    private static void PrintHdf5(string path, TextWriter output)
    {
        using var file = H5File.Open(path);
        output.WriteLine($"{path}: HDF5");
        PrintAttributes(file, "  ", output);
        Walk(file, "  ", output);
    }

    private static void Walk(H5Group group, string indent, TextWriter output)
    {
        foreach (var name in group.Keys)
        {
            if (group.IsDataset(name))
            {
                using var dataset = group.Dataset(name);
                output.WriteLine($"{indent}{name}: {dataset.Type.Name()} [{string.Join(", ", dataset.Shape)}]{Range(dataset)}");
                PrintAttributes(dataset, indent + "    ", output);
                continue;
            }
            using var child = group.Group(name);
            output.WriteLine($"{indent}{name}/");
            PrintAttributes(child, indent + "    ", output);
            Walk(child, indent + "  ", output);
        }
    }

    /// <summary>Min, max and mean, read a block of leading entries at a time so large datasets need little memory.</summary>
    private static string Range(H5Dataset dataset)
    {
        if (dataset.Type == H5Type.String || dataset.Length == 0) return "";
        if (dataset.Shape.Length == 0) return $"  value {Format(dataset.Read<double>()[0])}";
        long perEntry = dataset.Length / dataset.Shape[0], step = Math.Max(1, (1 << 24) / Math.Max(1, perEntry));
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        for (long start = 0; start < dataset.Shape[0]; start += step)
            foreach (var v in dataset.Read<double>([start], [Math.Min(step, dataset.Shape[0] - start)]))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
                sum += v;
            }
        return $"  min {Format(min)} max {Format(max)} mean {Format(sum / dataset.Length)}";
    }

    private static void PrintAttributes(H5Object obj, string indent, TextWriter output)
    {
        foreach (var name in obj.AttributeNames)
        {
            var value = obj.GetAttribute(name) switch
            {
                double[] a => Preview(a.Select(Format)),
                long[] a => Preview(a.Select(v => v.ToString(CultureInfo.InvariantCulture))),
                double d => Format(d),
                var v => v.ToString(),
            };
            output.WriteLine($"{indent}@{name} = {value}");
        }
    }

    private static void PrintNifti(string path, TextWriter output)
    {
        var image = NiftiImage.Load(path);
        var h = image.Header;
        var values = image.Data.ToArray();
        output.WriteLine($"{path}: NIfTI-1");
        output.WriteLine($"  dims [{string.Join(", ", h.Dims)}] (x first, as nibabel), datatype {h.DataType.ToString().ToLowerInvariant()}");
        output.WriteLine($"  pixdim [{string.Join(", ", h.PixDim.Skip(1).Take(h.Dims.Length).Select(v => Format(v)))}], xyzt_units {h.XyztUnits}");
        if (!float.IsNaN(h.SclSlope) && h.SclSlope != 0 && (h.SclSlope != 1 || (h.SclInter != 0 && !float.IsNaN(h.SclInter)))) output.WriteLine($"  scaling: value × {Format(h.SclSlope)} + {Format(float.IsNaN(h.SclInter) ? 0 : h.SclInter)}");
        output.WriteLine($"  qform_code {h.QformCode}, sform_code {h.SformCode}");
        var a = h.Affine();
        for (int r = 0; r < 4; r++) output.WriteLine($"  affine [{string.Join(", ", Enumerable.Range(0, 4).Select(c => Format(a[r, c])))}]");
        output.WriteLine($"  values min {Format(values.Min())} max {Format(values.Max())} mean {Format(values.Average(v => (double)v))}");
    }

    private static void PrintSafeTensors(string path, TextWriter output)
    {
        var bytes = File.ReadAllBytes(path);
        var (tensors, metadata) = SafeTensorsFile.Load(bytes, path);
        var (entries, _, _) = SafeTensorsFile.ParseHeader(bytes, path);
        output.WriteLine($"{path}: safetensors, {tensors.Count} tensors, {tensors.Values.Sum(t => t.numel()):N0} elements");
        foreach (var (key, value) in metadata) output.WriteLine($"  @{key} = {value}");
        foreach (var e in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var values = tensors[e.Name].ToArray();
            var range = values.Length == 0 ? "" : $"  min {Format(values.Min())} max {Format(values.Max())}";
            output.WriteLine($"  {e.Name}: {e.DType} [{string.Join(", ", e.Shape)}]{range}");
        }
    }

    private static void PrintOnnx(string path, TextWriter output)
    {
        // ONNX Runtime loads it (so it runs), and says what goes in and out; the file itself tells the rest.
        using var model = OnnxModel.Load(path);
        Onnx.Proto.ModelProto p;
        using (var file = File.OpenRead(path)) p = Onnx.Proto.ModelProto.Parser.ParseFrom(file);
        output.WriteLine($"{path}: ONNX, IR version {p.IrVersion}, opset {string.Join(", ", p.OpsetImport.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version}"))}, producer {p.ProducerName} {p.ProducerVersion}");
        foreach (var (title, values) in new[] { ("input", model.InputInfo), ("output", model.OutputInfo) })
            foreach (var v in values)
                output.WriteLine($"  {title} {v.Name}: {v.ElementType} [{v.ShapeText}]");
        long weights = p.Graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));
        output.WriteLine($"  {p.Graph.Node.Count} nodes ({string.Join(", ", p.Graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}), {p.Graph.Initializer.Count} initializers, {weights:N0} weights");
        foreach (var (key, value) in model.Metadata) output.WriteLine($"  @{key} = {value}");
    }

    private static string Preview(IEnumerable<string> items)
    {
        var list = items.Take(11).ToList();
        return "[" + string.Join(", ", list.Take(10)) + (list.Count > 10 ? ", ..." : "") + "]";
    }

    private static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
