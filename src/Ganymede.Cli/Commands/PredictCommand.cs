using System.CommandLine;
using Ganymede.Formats.Datasets;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>
/// `ganymede predict`: masks for every slice of a NIfTI volume (written with the input's exact geometry), of one split
/// of an H5 file (written as y_pred), or of a folder of PNG slices or a DICOM series (written as PNG masks). Every input
/// goes through the model's intensity contract (<see cref="ModelInput"/>); with truth at hand it prints the metrics.
/// </summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "trained model: ONNX (from ganymede train, or any NCHW segmentation network) or a .safetensors checkpoint", Required = true };
        var images = new Option<string>("--images") { Description = "NIfTI volume (.nii, .nii.gz), H5 file, folder of PNG slices, or folder holding a DICOM series", Required = true };
        var split = new Option<string?>("--split", "--dataset") { Description = "with an H5 input: the split to predict (test, valid, train; default test, else valid)" };
        var slices = new Option<string?>("--slices") { Description = "only these slices, e.g. 0,3,10-12 (counted from 0 within the input)" };
        var output = new Option<string>("--out") { Description = "NIfTI file, H5 file (dataset y_pred) or folder of PNG masks, matching the input", Required = true };
        var threshold = new Option<float>("--threshold") { Description = "probability above which a pixel is infection", DefaultValueFactory = _ => 0.5f };
        var probabilities = new Option<bool>("--probabilities") { Description = "write float32 probabilities instead of 0/1 masks (NIfTI and H5); figures then show the probability map" };
        var png = new Option<string?>("--png") { Description = "folder for one figure per slice: CT, truth (when known) and prediction, with the slice's Dice" };
        var truth = new Option<string?>("--truth") { Description = "ground-truth masks (NIfTI, PNG folder, or H5 split): the metrics are printed and shown in the figures" };
        var figure = new Option<string?>("--figure") { Description = "one PNG with a row per slice (CT, truth, prediction) for up to 6 slices, those with infection first" };
        var tta = new Option<bool>("--tta") { Description = "test-time augmentation: average the predictions over the eight flips and transposes of each slice" };
        var command = new Command("predict", "Predict infection masks for CT slices.") { model, images, split, slices, output, threshold, probabilities, png, figure, truth, tta };
        command.SetAction(result => Cli.Run(() =>
        {
            GlobalOptions.Apply(result);
            float t = result.GetValue(threshold);
            if (t is <= 0 or >= 1) throw new ArgumentException($"--threshold {t} must be between 0 and 1");
            string outPath = result.GetValue(output)!;
            using var loaded = SegmentationModel.Load(result.GetValue(model)!);
            var input = SliceFile.Load(result.GetValue(images)!, result.GetValue(split));
            if (result.GetValue(slices) is { } list) input = input.Take(SliceId.ParseList(list, "--slices"));
            if (input.Images.size(1) != loaded.Config.InChannels)
                throw new ArgumentException($"{input.Path}: slices have {input.Images.size(1)} channel(s), the model takes {loaded.Config.InChannels}");
            var p = new Predictor(loaded, testTimeAugmentation: result.GetValue(tta)).Probabilities(input.Images, input.Packing, input.Path);
            bool writeProbabilities = result.GetValue(probabilities);
            input.Save(writeProbabilities ? p : p.gt(t).@float(), outPath, writeProbabilities);
            // The infection channel: the only one, or the last (the original's two-channel models put lesions last).
            var lesion = p.select(1, p.size(1) - 1).gt(t).@float();
            var truthMasks = result.GetValue(truth) is { } truthPath ? Scoring.TruthFor(input, truthPath, result.GetValue(split), result.GetValue(slices)) : input.Truth;
            Console.WriteLine($"wrote {outPath}: {input.Count} slices, {lesion.sum().item():N0} infection pixels");
            if (truthMasks is not null)
            {
                Scoring.WarnIfSeen(loaded.Config, input.Ids);
                Scoring.Print(SegmentationMetrics.Compute(lesion, truthMasks));
            }
            if (result.GetValue(png) is not null || result.GetValue(figure) is not null)
            {
                var shown = ModelInput.Scale(loaded, input.Images, input.Packing, input.Path).select(1, 0);
                var labels = input.Ids;
                // With --probabilities the figures show the probability map too, with its colour bar.
                var map = writeProbabilities ? p.select(1, p.size(1) - 1) : null;
                if (result.GetValue(png) is { } folder)
                {
                    Directory.CreateDirectory(folder);
                    for (int k = 0; k < input.Count; k++)
                        Figures.Slices(shown.narrow(0, k, 1), truthMasks?.narrow(0, k, 1), lesion.narrow(0, k, 1), [labels[k]], probabilities: map?.narrow(0, k, 1))
                            .Save(Path.Combine(folder, $"slice_{k:D4}.png"));
                }
                if (result.GetValue(figure) is { } figurePath) Figures.Slices(shown, truthMasks, lesion, labels, maxRows: 6, probabilities: map).Save(figurePath);
            }
        }));
        return command;
    }
}
