using System.CommandLine;
using System.Text.Json;
using Ganymede.Formats.Nifti;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede evaluate`: lesion metrics of predicted masks against ground truth, as a table and a JSON last line.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var pred = new Option<string>("--pred") { Description = "predicted masks (NIfTI)", Required = true };
        var truth = new Option<string>("--truth") { Description = "ground-truth masks (NIfTI, labels; > 0 is infection)", Required = true };
        var command = new Command("evaluate", "Dice, IoU, precision, recall and specificity of predicted masks, for infection and per class.") { pred, truth };
        command.SetAction(result => Cli.Run(() =>
        {
            var p = NiftiImage.Load(result.GetValue(pred)!).Data;
            var t = NiftiImage.Load(result.GetValue(truth)!).Data;
            if (!p.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"{result.GetValue(pred)} [{string.Join(", ", p.shape)}] and {result.GetValue(truth)} [{string.Join(", ", t.shape)}] differ in shape");
            if (p.dim() == 2) (p, t) = (p.unsqueeze(0), t.unsqueeze(0));
            var rows = new List<(string Name, SegmentationMetrics M, bool RecallOnly)> { ("infection", SegmentationMetrics.Compute(p.gt(0).@float(), t.gt(0).@float()), false) };
            var labels = t.ToArray().Distinct().Where(v => v > 0).Order().ToArray();
            bool multiclassPrediction = p.ToArray().Any(v => v > 1);
            // Per class: against a labelled prediction, class k to class k; against a binary one, only how much of class k was found.
            if (labels.Length > 1)
                foreach (var label in labels)
                    rows.Add(($"class {label}", SegmentationMetrics.Compute(multiclassPrediction ? p.eq(label).@float() : p.gt(0).@float().mul(t.eq(label).@float()), t.eq(label).@float()), !multiclassPrediction));
            Console.WriteLine($"{"",-10} {"Dice",8} {"pooled",8} {"IoU",8} {"precision",10} {"recall",8} {"specificity",12}");
            foreach (var (name, m, recallOnly) in rows)
                Console.WriteLine(recallOnly
                    ? $"{name,-10} {"-",8} {"-",8} {"-",8} {"-",10} {m.Recall,8:F4} {"-",12}"
                    : $"{name,-10} {m.MeanDice,8:F4} {m.PooledDice,8:F4} {m.IoU,8:F4} {m.Precision,10:F4} {m.Recall,8:F4} {m.Specificity,12:F4}");
            Console.WriteLine(JsonSerializer.Serialize(rows.ToDictionary(r => r.Name, r => r.RecallOnly
                ? (object)new { recall = r.M.Recall, slices = r.M.Slices }
                : new { dice_mean = r.M.MeanDice, dice_pooled = r.M.PooledDice, iou = r.M.IoU, precision = r.M.Precision, recall = r.M.Recall, specificity = r.M.Specificity, slices = r.M.Slices })));
        }));
        return command;
    }
}
