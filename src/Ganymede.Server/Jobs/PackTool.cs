using System.Globalization;
using System.Text.Json.Nodes;

namespace Ganymede.Server.Jobs;

/// <summary>
/// ganymede_pack: what `ganymede data pack` does, as a tool: CT volumes (NIfTI, or DICOM series in zip archives) or
/// PNG slices, and their masks, into the H5 dataset training reads (X_train, y_train, X_valid, y_valid, X_test, ...).
/// Volumes and masks pair by position; so do PNG slices and PNG masks.
/// </summary>
public sealed class PackTool : Tool
{
    public override string Id => "ganymede_pack";
    public override string Name => "Pack images and masks for training";
    public override string Description => "CT volumes or PNG slices and their masks into an H5 training set";
    private static readonly string[] Volumes = ["nii", "nii.gz", "zip"];

    public override IReadOnlyList<ToolInput> Inputs { get; } =
    [
        new("images", "data", "Images", Multiple: true, Formats: ["nii", "nii.gz", "zip", "png"],
            Help: "NIfTI volumes (one per patient), DICOM series as zip archives, or PNG slices"),
        new("masks", "data", "Masks", Multiple: true, Formats: ["nii", "nii.gz", "png"],
            Help: "one per image, in the same order: integer label volumes with the images' geometry, or PNG masks"),
        new("size", "integer", "Slice size", Optional: true, Default: 256, Min: 16, Help: "slices are resized to this size, a multiple of 16"),
        new("valid", "float", "Validation fraction", Optional: true, Default: 0.1, Min: 0, Max: 0.9, Help: "of the slices (of the volumes, with several) held out to choose the best epoch"),
        new("test", "float", "Test fraction", Optional: true, Default: 0.0, Min: 0, Max: 0.9, Help: "of the slices (of the volumes, with several) kept for testing: training never reads them"),
        new("seed", "integer", "Seed of the split", Optional: true, Default: 0, Min: 0),
        new("classes", "select", "Classes", Optional: true, Default: "infection", Options: ["infection", "multiclass"], Help: "infection: 1 where the label is above 0; multiclass: one channel per label"),
        new("window", "select", "Intensity window", Optional: true, Default: "auto", Options: ["auto", "lung", "none"], Help: "auto: the lung window for CT in Hounsfield units"),
        new("crop", "select", "Crop", Optional: true, Default: "body", Options: ["body", "none"], Help: "body: cut each slice to the square around the body before resizing"),
    ];

    public override IReadOnlyList<ToolOutput> Outputs { get; } =
    [
        new("data", "h5", "Packed training data", "data.h5"),
        new("log", "txt", "Log", "$stdout"),
    ];

    public override void Validate(IReadOnlyDictionary<string, JsonNode?> parameters, IReadOnlyDictionary<string, IReadOnlyList<string>> datasetTypes)
    {
        var (images, masks) = (datasetTypes["images"], datasetTypes["masks"]);
        if (images.Count != masks.Count)
            throw ApiException.InvalidInput("masks", $"{masks.Count} mask(s) for {images.Count} image(s): give one mask per image, in the same order");
        bool png = images.Any(t => t == "png");
        if (png && images.Any(t => t != "png")) throw ApiException.InvalidInput("images", "give either volumes or PNG slices, not both");
        if (png && masks.Any(t => t != "png")) throw ApiException.InvalidInput("masks", "PNG slices take PNG masks");
        if (!png && masks.Any(t => t == "png")) throw ApiException.InvalidInput("masks", "volumes take NIfTI masks");
        CheckSliceSize(parameters, "size");
        double valid = Number(parameters, "valid"), test = Number(parameters, "test");
        if (valid + test >= 1) throw ApiException.InvalidInput("test", "the validation and test fractions leave nothing to train on");
    }

    private static double Number(IReadOnlyDictionary<string, JsonNode?> parameters, string name) =>
        parameters.TryGetValue(name, out var v) && v is not null ? v.GetValue<double>() : 0;

    public override IReadOnlyList<string[]> Commands(JobContext job)
    {
        var args = new List<string> { "data", "pack", "--out", "outputs/data.h5" };
        var (images, masks) = (job.Inputs["images"], job.Inputs["masks"]);
        if (images.All(i => i.Extension == "png"))
        {
            // data pack reads PNG slices from a folder and pairs masks by file name: the slices pair by position here.
            args.AddRange(["--images", Folder(job, "png/images", images), "--masks", Folder(job, "png/masks", masks)]);
        }
        else
        {
            for (int i = 0; i < images.Count; i++) args.AddRange(["--images", images[i].Path, "--masks", masks[i].Path]);
        }
        // Every parameter has a value here: the submission filled in the defaults.
        foreach (var name in new[] { "size", "valid", "test", "seed", "classes", "window", "crop" })
            args.AddRange([$"--{name}", job.Parameter(name, "")]);
        return [job.Run([.. args])];
    }

    private static string Folder(JobContext job, string folder, IReadOnlyList<StagedInput> slices)
    {
        var directory = Path.Combine(job.WorkDirectory, folder);
        Directory.CreateDirectory(directory);
        for (int i = 0; i < slices.Count; i++)
            File.Copy(Path.Combine(job.WorkDirectory, slices[i].Path), Path.Combine(directory, $"slice_{i.ToString("D5", CultureInfo.InvariantCulture)}.png"));
        return folder;
    }
}
