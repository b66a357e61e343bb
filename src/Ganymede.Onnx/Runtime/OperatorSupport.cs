using Ganymede.Onnx.Proto;

namespace Ganymede.Onnx.Runtime;

/// <summary>What each operator implements, checked on the whole graph before anything runs.</summary>
internal static class OperatorSupport
{
    private static readonly int[] CastTargets = [1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 13];

    /// <summary>Null when the node is supported, else what is missing. <paramref name="rank"/> gives a value's rank where the graph declares it.</summary>
    public static string? Unsupported(NodeProto node, long opset, Func<string, int?> rank)
    {
        if (node.Domain is not ("" or "ai.onnx")) return $"operator domain '{node.Domain}' is not supported";
        if (!Operators.All.ContainsKey(node.OpType)) return "operator is not supported";
        string? S(string name) => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.S.ToStringUtf8() : null;
        long? I(string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I;
        long[]? Ints(string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray();
        bool Spatial2d(string name) => Ints(name) is null || Ints(name)!.Length == 2;
        bool Symmetric(long[]? p) => p is null || (p[0] == p[2] && p[1] == p[3] && p[0] == p[1]);
        bool Square(string name) => Ints(name) is not { } v || v.Distinct().Count() == 1;
        return node.OpType switch
        {
            "Conv" or "ConvTranspose" or "MaxPool" or "AveragePool" or "BatchNormalization" or "GlobalAveragePool" or "Resize" or "Upsample"
                when node.Input.Count > 0 && rank(node.Input[0]) is { } r && r != 4 => $"only 4-D (NCHW) inputs are supported, this one has rank {r}",
            "ConvTranspose" when !Symmetric(Ints("pads")) || !Square("strides") || !Square("output_padding") || !Square("dilations")
                => "only equal pads on all sides and equal strides, output_padding and dilations along H and W are supported",
            "AveragePool" when (I("count_include_pad") ?? 0) == 0 && ((Ints("pads") is { } ap && ap.Any(v => v != 0)) || (S("auto_pad") ?? "NOTSET") is "SAME_UPPER" or "SAME_LOWER")
                => "average pooling over padding is supported with count_include_pad=1 only",
            "MaxPool" or "AveragePool" when !Square("kernel_shape") || !Square("strides") => "only square windows and strides are supported",
            "Cast" when !CastTargets.Contains((int)(I("to") ?? 0)) => $"cast to type {I("to")} is not supported",
            "Conv" or "ConvTranspose" or "MaxPool" or "AveragePool" when !Spatial2d("kernel_shape") || !Spatial2d("strides") || (Ints("pads") is { } p && p.Length != 4)
                => "only 2-D windows (NCHW input) are supported",
            "ConvTranspose" when node.Attribute.Any(a => a.Name == "output_shape") => "the output_shape attribute is not supported; give pads and output_padding",
            "ConvTranspose" when S("auto_pad") is { } a && a != "NOTSET" => $"auto_pad {a} is not supported",
            "MaxPool" when node.Output.Count > 1 => "the Indices output is not supported",
            "MaxPool" when (I("storage_order") ?? 0) != 0 || Ints("dilations") is { } d && d.Any(v => v != 1) => "storage_order and dilations are not supported",
            "BatchNormalization" when (I("training_mode") ?? 0) != 0 || node.Output.Count > 1 => "training mode is not supported (inference only)",
            "Pad" when (S("mode") ?? "constant") != "constant" => $"pad mode '{S("mode")}' is not supported (constant only)",
            "Resize" or "Upsample" when (S("mode") ?? "nearest") is not ("nearest" or "linear" or "bilinear") => $"resize mode '{S("mode")}' is not supported",
            "Resize" when (S("mode") ?? "nearest") == "nearest" && ((S("coordinate_transformation_mode") ?? "half_pixel") != "asymmetric" || (S("nearest_mode") ?? "round_prefer_floor") != "floor")
                => "nearest resize is supported with coordinate_transformation_mode asymmetric and nearest_mode floor (PyTorch's) only",
            "Resize" when (S("mode") ?? "nearest") == "linear" && (S("coordinate_transformation_mode") ?? "half_pixel") is not ("half_pixel" or "align_corners")
                => $"linear resize with coordinate_transformation_mode '{S("coordinate_transformation_mode")}' is not supported",
            "Resize" when node.Attribute.Any(a => a.Name is "antialias" or "axes" or "keep_aspect_ratio_policy") => "antialias, axes and keep_aspect_ratio_policy are not supported",
            "Upsample" when (S("mode") ?? "nearest") != "nearest" => "linear Upsample (asymmetric coordinates) is not supported",
            "ArgMax" when (I("select_last_index") ?? 0) != 0 => "select_last_index is not supported",
            "Gemm" when opset < 7 => "Gemm before opset 7 is not supported",
            _ => null,
        };
    }
}
