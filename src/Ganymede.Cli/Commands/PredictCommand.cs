using System.CommandLine;
using Ganymede.Formats.Datasets;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Nifti;
using Ganymede.Formats.Png;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>
/// `ganymede predict`: masks for every slice of a NIfTI volume (written with the input's exact geometry), of an
/// H5 dataset (written as y_pred), or of a folder of PNG slices (written as PNG masks with the same names).
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "trained model: ONNX (from ganymede train, or any NCHW segmentation network) or a .safetensors checkpoint", Required = true };
        var images = new Option<string>("--images") { Description = "NIfTI volume (.nii, .nii.gz), H5 file, or folder of PNG slices", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "with an H5 input: the images dataset (default X_test, else X_valid)" };
        var output = new Option<string>("--out") { Description = "NIfTI file, H5 file (dataset y_pred) or folder of PNG masks, matching the input", Required = true };
        var threshold = new Option<float>("--threshold") { Description = "probability above which a pixel is infection", DefaultValueFactory = _ => 0.5f };
        var probabilities = new Option<bool>("--probabilities") { Description = "write float32 probabilities instead of 0/1 masks (NIfTI and H5)" };
        var png = new Option<string?>("--png") { Description = "folder for one figure per slice: CT, truth (with --truth) and prediction side by side" };
        var truth = new Option<string?>("--truth") { Description = "ground-truth masks (NIfTI), shown in the figures" };
        var figure = new Option<string?>("--figure") { Description = "one PNG with a row per slice (CT, truth, prediction) for up to 6 slices, those with infection first" };
        var tta = new Option<bool>("--tta") { Description = "test-time augmentation: average the predictions over the eight flips and transposes of each slice" };
        var command = new Command("predict", "Predict infection masks for CT slices.") { model, images, dataset, output, threshold, probabilities, png, figure, truth, tta };
        command.SetAction(result => Cli.Run(() =>
        {
            GlobalOptions.Apply(result);
            float t = result.GetValue(threshold);
            if (t is <= 0 or >= 1) throw new ArgumentException($"--threshold {t} must be between 0 and 1");
            string input = result.GetValue(images)!, outPath = result.GetValue(output)!;
            using var loaded = SegmentationModel.Load(result.GetValue(model)!);
            var (slices, storedTruth, save) = Input(input, result.GetValue(dataset), outPath);
            if (slices.size(1) != loaded.Config.InChannels)
                throw new ArgumentException($"{input}: slices have {slices.size(1)} channel(s), the model takes {loaded.Config.InChannels}");
            var p = new Predictor(loaded, testTimeAugmentation: result.GetValue(tta)).Probabilities(slices);
            bool writeProbabilities = result.GetValue(probabilities);
            save(writeProbabilities ? p : p.gt(t).@float(), writeProbabilities);
            // The infection channel: the only one, or the last (the original's two-channel models put lesions last).
            var lesion = p.select(1, p.size(1) - 1).gt(t).@float();
            if (result.GetValue(png) is not null || result.GetValue(figure) is not null)
            {
                var grey = slices.select(1, 0);
                var shown = loaded.NormalisesByVolume ? grey.sub(grey.min()).div(Math.Max(grey.max().item() - grey.min().item(), 1e-12f)) : loaded.Config.Normalise(grey);
                var truthMasks = result.GetValue(truth) is { } truthPath ? NiftiImage.Load(truthPath).Data.reshape(lesion.shape).gt(0).@float() : storedTruth;
                if (result.GetValue(png) is { } folder) WriteFigures(folder, shown, lesion, truthMasks);
                if (result.GetValue(figure) is { } figurePath) Figures.Rows(shown, truthMasks, lesion).Save(figurePath);
            }
            Console.WriteLine($"wrote {outPath}: {slices.size(0)} slices, {lesion.sum().item():N0} infection pixels");
        }));
        return command;
    }

    /// <summary>
    /// Slices [N, C, H, W] from the input, the infection masks stored with them (an H5 file's y_ beside its X_ dataset), and how to
    /// save predictions [N, K, H, W] in the matching output form.
    /// </summary>
    private static (Tensor Slices, Tensor? Truth, Action<Tensor, bool> Save) Input(string input, string? dataset, string output)
    {
        if (Directory.Exists(input))
        {
            var (slices, names) = SliceSource.Load(input);
            return (slices.unsqueeze(1), null, (masks, _) =>
            {
                Directory.CreateDirectory(output);
                for (int k = 0; k < names.Length; k++)
                    PngImage.FromTensor(masks.select(0, k).narrow(0, masks.size(1) - 1, 1).mul(255f)).Save(Path.Combine(output, names[k]));
            });
        }
        if (input.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || input.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase))
        {
            Tensor x;
            Tensor? stored = null;
            using (var file = H5File.Open(input))
            {
                string name = dataset ?? (file.IsDataset("X_test") ? "X_test" : file.IsDataset("X_valid") ? "X_valid" : throw new ArgumentException($"{input}: no X_test or X_valid; name the dataset with --dataset"));
                using var d = file.Dataset(name);
                if (d.Shape.Length != 4) throw new ArgumentException($"{input}:{name}: expected (N, H, W, C), got [{string.Join(", ", d.Shape)}]");
                x = d.ReadTensor().permute(0, 3, 1, 2).contiguous();
                string truthName = name.StartsWith("X_", StringComparison.Ordinal) ? "y_" + name[2..] : "";
                if (truthName.Length > 0 && file.IsDataset(truthName))
                {
                    using var y = file.Dataset(truthName);
                    if (y.Shape.Length == 4 && y.Shape[0] == d.Shape[0] && y.Shape[1] == d.Shape[1] && y.Shape[2] == d.Shape[2])
                        stored = y.ReadTensor().select(3, (int)y.Shape[3] - 1).gt(0.5f).@float();
                }
            }
            return (x, stored, (masks, _) =>
            {
                using var file = H5File.Create(output);
                file.CreateDataset("y_pred", masks.permute(0, 2, 3, 1).contiguous(), gzip: 4).Dispose();
                file.Commit();
            });
        }
        var volume = NiftiImage.Load(input);
        var data = volume.Data.dim() switch
        {
            2 => volume.Data.unsqueeze(0),
            3 => volume.Data,
            _ => throw new ArgumentException($"{input}: expected a 2-D image or 3-D volume of slices, got dimensions [{string.Join(", ", volume.Header.Dims)}]"),
        };
        return (data.unsqueeze(1), null, (masks, probabilities) =>
        {
            var lesion = masks.select(1, masks.size(1) - 1).reshape(volume.Data.shape);
            NiftiImage.Like(volume, lesion, probabilities ? NiftiDataType.Float32 : NiftiDataType.UInt8).Save(output);
        });
    }

    private static void WriteFigures(string folder, Tensor slices, Tensor predicted, Tensor? truth)
    {
        Directory.CreateDirectory(folder);
        for (int k = 0; k < slices.size(0); k++)
            Figures.SideBySide(slices.select(0, k), truth?.select(0, k), predicted.select(0, k)).Save(Path.Combine(folder, $"slice_{k:D4}.png"));
    }
}
