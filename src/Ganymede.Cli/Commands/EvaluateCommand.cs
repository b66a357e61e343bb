using System.CommandLine;
using Ganymede.Formats.Datasets;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>
/// `ganymede evaluate`: lesion metrics of predictions against ground truth, as a table and a JSON last line. Either
/// scores predicted masks (--pred) or predicts first (--model with --images); warns when the model was trained or
/// validated on the slices it is scored on.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var pred = new Option<string?>("--pred") { Description = "predicted masks: NIfTI, PNG folder, or H5 (y_pred)" };
        var model = new Option<string?>("--model") { Description = "instead of --pred: a model to predict with (ONNX or checkpoint), on --images" };
        var images = new Option<string?>("--images") { Description = "with --model: the slices (packed H5, NIfTI, PNG folder or DICOM series)" };
        var truth = new Option<string?>("--truth") { Description = "ground-truth masks: NIfTI (labels; > 0 is infection), PNG folder, or H5 (y_ of --split); default: the H5 input's own" };
        var split = new Option<string?>("--split") { Description = "with H5 files: the split to score (test, valid, train; default test, else valid)" };
        var slices = new Option<string?>("--slices") { Description = "only these slices, e.g. 0,3,10-12 (counted from 0 within the input)" };
        var threshold = new Option<float>("--threshold") { Description = "with --model: probability above which a pixel is infection", DefaultValueFactory = _ => 0.5f };
        var tta = new Option<bool>("--tta") { Description = "with --model: average over the eight flips and transposes" };
        var command = new Command("evaluate", "Dice, IoU, precision, recall and specificity of predicted masks, for infection and per class.")
        {
            pred, model, images, truth, split, slices, threshold, tta,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            string? predPath = result.GetValue(pred), modelPath = result.GetValue(model), list = result.GetValue(slices);
            if ((predPath is null) == (modelPath is null)) throw new ArgumentException("give either --pred (predicted masks) or --model with --images");
            if (modelPath is not null)
            {
                GlobalOptions.Apply(result);
                string imagesPath = result.GetValue(images) ?? throw new ArgumentException("--model needs --images (the slices to predict)");
                using var loaded = SegmentationModel.Load(modelPath);
                var input = SliceFile.Load(imagesPath, result.GetValue(split));
                if (list is not null) input = input.Take(SliceId.ParseList(list, "--slices"));
                var truthMasks = result.GetValue(truth) is { } truthPath ? Scoring.TruthFor(input, truthPath, result.GetValue(split), list)
                    : input.Truth ?? throw new ArgumentException($"{imagesPath}: no masks stored with these slices; give --truth");
                Scoring.WarnIfSeen(loaded.Config, input.Ids);
                var p = new Predictor(loaded, testTimeAugmentation: result.GetValue(tta)).Probabilities(input.Images, input.Packing, input.Path);
                Scoring.Print(SegmentationMetrics.Compute(p.select(1, p.size(1) - 1).gt(result.GetValue(threshold)).@float(), truthMasks));
                return;
            }
            ScoreFiles(predPath!, result.GetValue(truth) ?? throw new ArgumentException("--pred needs --truth (the ground-truth masks)"), result.GetValue(split), list);
        }));
        return command;
    }

    /// <summary>Predicted labels against true labels, for infection and, with several labels in truth, per class.</summary>
    private static void ScoreFiles(string predPath, string truthPath, string? split, string? list)
    {
        var p = Labels(predPath, null, list);
        var t = Labels(truthPath, split, list);
        if (!p.shape.SequenceEqual(t.shape))
            throw new ArgumentException($"{predPath} [{string.Join(", ", p.shape)}] and {truthPath} [{string.Join(", ", t.shape)}] differ in shape");
        var labels = t.ToArray().Distinct().Where(v => v > 0).Order().ToArray();
        bool multiclassPrediction = p.ToArray().Any(v => v > 1);
        // Per class: against a labelled prediction, class k to class k; against a binary one, only how much of class k was found.
        var classes = labels.Length > 1
            ? labels.Select(label => ($"class {label}", SegmentationMetrics.Compute(multiclassPrediction ? p.eq(label).@float() : p.gt(0).@float().mul(t.eq(label).@float()), t.eq(label).@float()), !multiclassPrediction)).ToList()
            : [];
        Scoring.Print(SegmentationMetrics.Compute(p.gt(0).@float(), t.gt(0).@float()), classes);
    }

    /// <summary>Label maps [N, H, W]: a NIfTI volume or PNG folder as stored, an H5 split's masks as 0/1.</summary>
    private static Tensor Labels(string path, string? split, string? list)
    {
        var labels = SliceFile.IsH5Path(path) ? SliceFile.LoadMasks(path, split).Masks : SliceFile.Load(path).Images.select(1, 0);
        return Scoring.TakeSlices(labels, list, path);
    }
}
