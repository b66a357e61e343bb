using System.CommandLine;
using Ganymede.Formats.Datasets;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede data pack` and `ganymede data info`.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Pack images and masks into training sets; inspect data and model files.");
        data.Subcommands.Add(Pack());
        data.Subcommands.Add(Info());
        return data;
    }

    private static Command Pack()
    {
        var images = new Option<string>("--images") { Description = "NIfTI volume of slices (.nii, .nii.gz), or a folder of PNG slices", Required = true };
        var masks = new Option<string>("--masks") { Description = "NIfTI volume of integer masks with the same geometry, or a folder of PNG masks with the same names", Required = true };
        var output = new Option<string>("--out") { Description = "H5 file to write (X_train, y_train, X_valid, y_valid, ...)", Required = true };
        var size = new Option<int>("--size") { Description = "slice size after resizing", DefaultValueFactory = _ => 256 };
        var valid = new Option<double>("--valid") { Description = "fraction of slices for validation", DefaultValueFactory = _ => 0.1 };
        var test = new Option<double>("--test") { Description = "fraction of slices for testing", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the split", DefaultValueFactory = _ => 0UL };
        var classes = new Option<string>("--classes") { Description = "infection (1 where label > 0) or multiclass (one channel per label)", DefaultValueFactory = _ => "infection" };
        classes.AcceptOnlyFromAmong("infection", "multiclass");
        var window = new Option<string>("--window") { Description = "intensity window: auto (lung window for Hounsfield volumes), lung, or none (the volume's own range)", DefaultValueFactory = _ => "auto" };
        window.AcceptOnlyFromAmong("auto", "lung", "none");
        var crop = new Option<string>("--crop") { Description = "body: cut each slice to the square around the body before resizing, so every body fills the network's input (models trained on such data crop the same way when predicting); none: whole slices", DefaultValueFactory = _ => "body" };
        crop.AcceptOnlyFromAmong("body", "none");
        var command = new Command("pack", "Turn a volume of slices and its masks into the H5 layout of the original system.")
        {
            images, masks, output, size, valid, test, seed, classes, window, crop,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            GlobalOptions.Apply(result);
            string imagesPath = result.GetValue(images)!, masksPath = result.GetValue(masks)!;
            var (slices, labels) = SliceSource.LoadPair(imagesPath, masksPath);
            var options = new PackOptions(result.GetValue(size), result.GetValue(valid), result.GetValue(test), result.GetValue(seed),
                result.GetValue(classes) == "multiclass" ? MaskClasses.Multiclass : MaskClasses.Infection, result.GetValue(window)!, result.GetValue(crop)!);
            var summary = SegmentationPacker.Pack(slices, labels, result.GetValue(output)!, options, $"{imagesPath} + {masksPath}");
            Console.WriteLine($"wrote {result.GetValue(output)}: {string.Join(", ", summary.Splits.Select(s => $"{s.Key} {s.Value}"))} slices, " +
                $"{options.Size}x{options.Size}{(options.Crop == "body" ? " cut to the body" : "")}, {summary.Classes} mask channel(s), window {summary.Window}");
        }));
        return command;
    }

    private static Command Info()
    {
        var file = new Argument<string>("file") { Description = "an H5, NIfTI (.nii, .nii.gz), safetensors or ONNX file" };
        var command = new Command("info", "Print the structure of a data or model file: datasets or tensors with shapes, types, value ranges and attributes.") { file };
        command.SetAction(result => Cli.Run(() => FileInfoPrinter.Print(result.GetValue(file)!, Console.Out)));
        return command;
    }
}
