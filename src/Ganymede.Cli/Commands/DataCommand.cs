using System.CommandLine;
using Ganymede.Formats.Datasets;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede data pack`, `ganymede data info` and `ganymede data fetch`.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Pack images and masks into training sets; inspect data and model files.");
        data.Subcommands.Add(Pack());
        data.Subcommands.Add(Info());
        data.Subcommands.Add(Fetch());
        return data;
    }

    private static Command Pack()
    {
        var images = new Option<string[]>("--images") { Description = "NIfTI volume of slices (.nii, .nii.gz), folder holding a DICOM series, or folder of PNG slices; repeat for several volumes (patients)", Required = true };
        var masks = new Option<string[]>("--masks") { Description = "NIfTI volume of integer masks with the same geometry, or a folder of PNG masks with the same names; one per --images, in the same order", Required = true };
        var output = new Option<string>("--out") { Description = "H5 file to write (X_train, y_train, X_valid, y_valid, ...)", Required = true };
        var size = new Option<int>("--size") { Description = "slice size after resizing (a multiple of 16: the UNet halves slices four times)", DefaultValueFactory = _ => 256 };
        var valid = new Option<double>("--valid") { Description = "fraction of slices (of volumes, with several) for validation", DefaultValueFactory = _ => 0.1 };
        var test = new Option<double>("--test") { Description = "fraction of slices (of volumes, with several) kept for testing: training never reads them", DefaultValueFactory = _ => 0 };
        var testSlices = new Option<string?>("--test-slices") { Description = "instead of --test, these slices for testing, e.g. 3,7,10-12 (one volume; counted from 0)" };
        var testVolumes = new Option<string?>("--test-volumes") { Description = "instead of --test, these volumes for testing, by file name or position, comma-separated" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the split", DefaultValueFactory = _ => 0UL };
        var classes = new Option<string>("--classes") { Description = "infection (1 where label > 0) or multiclass (one channel per label)", DefaultValueFactory = _ => "infection" };
        classes.AcceptOnlyFromAmong("infection", "multiclass");
        var window = new Option<string>("--window") { Description = "intensity window: auto (lung window for Hounsfield volumes), lung, or none (the volume's own range)", DefaultValueFactory = _ => "auto" };
        window.AcceptOnlyFromAmong("auto", "lung", "none");
        var crop = new Option<string>("--crop") { Description = "body: cut each slice to the square around the body before resizing, so every body fills the network's input (models trained on such data crop the same way when predicting); none: whole slices", DefaultValueFactory = _ => "body" };
        crop.AcceptOnlyFromAmong("body", "none");
        var command = new Command("pack", "Turn volumes of slices and their masks into the H5 layout of the original system, with a held-out test split.")
        {
            images, masks, output, size, valid, test, testSlices, testVolumes, seed, classes, window, crop,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            GlobalOptions.Apply(result);
            string[] imagePaths = result.GetValue(images)!, maskPaths = result.GetValue(masks)!;
            if (imagePaths.Length != maskPaths.Length)
                throw new ArgumentException($"{imagePaths.Length} --images but {maskPaths.Length} --masks: give one mask volume for each image volume, in the same order");
            int side = result.GetValue(size);
            if (side <= 0 || side % 16 != 0)
                throw new ArgumentException($"--size {side}: the UNet halves slices four times, so the size must be a positive multiple of 16 (for example {Math.Max(16, side / 16 * 16)} or {Math.Max(16, side / 16 * 16 + 16)})");
            var volumes = imagePaths.Zip(maskPaths, (i, m) =>
            {
                var (x, y) = SliceSource.LoadPair(i, m);
                return new PackVolume(i, x, y);
            }).ToList();
            var options = new PackOptions(side, result.GetValue(valid), result.GetValue(test), result.GetValue(seed),
                result.GetValue(classes) == "multiclass" ? MaskClasses.Multiclass : MaskClasses.Infection, Enum.Parse<IntensityWindow>(result.GetValue(window)!, ignoreCase: true), Enum.Parse<SliceCrop>(result.GetValue(crop)!, ignoreCase: true),
                result.GetValue(testSlices) is { } list ? SliceId.ParseList(list, "--test-slices") : null,
                result.GetValue(testVolumes)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            var summary = SegmentationPacker.Pack(volumes, result.GetValue(output)!, options);
            Console.WriteLine($"wrote {result.GetValue(output)}: {string.Join(", ", summary.Splits.Select(s => $"{s.Key} {s.Value}"))} slices, " +
                $"{options.Size}x{options.Size}{(options.Crop == SliceCrop.Body ? " cut to the body" : "")}, {summary.Classes} mask channel(s), window {summary.Window}");
            foreach (var note in summary.Notes) Console.Error.WriteLine("warning: " + note);
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

    private static Command Fetch()
    {
        var name = new Argument<string>("dataset") { Description = string.Join("; ", PublicDataset.Known.Select(d => $"{d.Name}: {d.Description}")) };
        name.AcceptOnlyFromAmong([.. PublicDataset.Known.Select(d => d.Name)]);
        var output = new Option<string>("--out") { Description = "folder to write the files into (with SHA256SUMS)", Required = true };
        var source = new Option<string?>("--source") { Description = "a mirror: base URL or folder holding the files under their names, instead of their published addresses" };
        var command = new Command("fetch", "Download a public dataset of the use case, checking every file before it is kept.") { name, output, source };
        command.SetAction(result => Cli.Run(() =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            using var cancel = CtrlC.Token();
            new DatasetFetcher(http, Console.Out).FetchAsync(PublicDataset.Find(result.GetValue(name)!), result.GetValue(output)!, result.GetValue(source), cancel.Token)
                .GetAwaiter().GetResult();
        }));
        return command;
    }
}
