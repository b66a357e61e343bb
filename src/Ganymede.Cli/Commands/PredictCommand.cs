using System.CommandLine;
using Ganymede.Formats.Nifti;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede predict`: masks for every slice of a NIfTI volume, with the input's exact geometry.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "trained model: ONNX (from ganymede train, or any NCHW segmentation network) or a .safetensors checkpoint", Required = true };
        var images = new Option<string>("--images") { Description = "NIfTI volume (.nii, .nii.gz) of slices", Required = true };
        var output = new Option<string>("--out") { Description = "NIfTI file for the predicted masks", Required = true };
        var threshold = new Option<float>("--threshold") { Description = "probability above which a pixel is infection", DefaultValueFactory = _ => 0.5f };
        var probabilities = new Option<bool>("--probabilities") { Description = "write float32 probabilities instead of uint8 0/1 masks" };
        var png = new Option<string?>("--png") { Description = "folder for one figure per slice: CT, truth (with --truth) and prediction side by side" };
        var truth = new Option<string?>("--truth") { Description = "ground-truth masks (NIfTI), shown in the figures" };
        var tta = new Option<bool>("--tta") { Description = "test-time augmentation: average the predictions of the four flips" };
        var command = new Command("predict", "Predict infection masks for a CT volume.") { model, images, output, threshold, probabilities, png, truth, tta };
        command.SetAction(result => Cli.Run(() =>
        {
            GlobalOptions.Apply(result);
            float t = result.GetValue(threshold);
            if (t is <= 0 or >= 1) throw new ArgumentException($"--threshold {t} must be between 0 and 1");
            using var loaded = SegmentationModel.Load(result.GetValue(model)!);
            var config = loaded.Config;
            var volume = NiftiImage.Load(result.GetValue(images)!);
            var slices = volume.Data.dim() switch
            {
                2 => volume.Data.unsqueeze(0).unsqueeze(1),
                3 => volume.Data.unsqueeze(1),
                _ => throw new ArgumentException($"{result.GetValue(images)}: expected a 2-D image or 3-D volume of slices"),
            };
            if (config.InChannels != 1)
                throw new ArgumentException($"{result.GetValue(model)}: the model takes {config.InChannels} channels per slice; a NIfTI volume gives 1");
            var p = new Predictor(loaded, flipAugment: result.GetValue(tta)).Probabilities(slices);
            // The infection channel: the only one, or the last (the original's two-channel models put lesions last).
            var lesion = p.select(1, p.size(1) - 1).reshape(volume.Data.shape);
            bool writeProbabilities = result.GetValue(probabilities);
            var values = writeProbabilities ? lesion : lesion.gt(t).@float();
            NiftiImage.Like(volume, values, writeProbabilities ? NiftiDataType.Float32 : NiftiDataType.UInt8).Save(result.GetValue(output)!);
            var shown = slices.squeeze(1).sub(slices.min()).div(Math.Max(slices.max().item() - slices.min().item(), 1e-12f));
            if (result.GetValue(png) is { } folder) WriteFigures(folder, loaded.NormalisesByVolume ? shown : config.Normalise(slices.squeeze(1)), lesion.gt(t).@float().reshape(slices.size(0), slices.size(2), slices.size(3)), result.GetValue(truth));
            Console.WriteLine($"wrote {result.GetValue(output)}: {slices.size(0)} slices, {lesion.gt(t).@float().sum().item():N0} infection pixels");
        }));
        return command;
    }

    private static void WriteFigures(string folder, Tensor slices, Tensor predicted, string? truthPath)
    {
        Directory.CreateDirectory(folder);
        Tensor? truth = null;
        if (truthPath is not null)
        {
            truth = NiftiImage.Load(truthPath).Data.reshape(predicted.shape).gt(0).@float();
        }
        for (int k = 0; k < slices.size(0); k++)
            Figures.SideBySide(slices.select(0, k), truth?.select(0, k), predicted.select(0, k)).Save(Path.Combine(folder, $"slice_{k:D4}.png"));
    }
}
