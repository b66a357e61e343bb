using System.Text.Json;
using Ganymede.Formats.Datasets;
using Ganymede.Segmentation;

namespace Ganymede.Cli.Commands;

/// <summary>What `predict --truth` and `evaluate` share: truth aligned with the slices, the warning about seen slices, the table.</summary>
internal static class Scoring
{
    /// <summary>Masks [N, H, W] from <paramref name="truthPath"/> for the same slices as <paramref name="input"/>.</summary>
    public static Tensor TruthFor(SliceFile input, string truthPath, string? split, string? slices)
    {
        var (masks, _) = SliceFile.LoadMasks(truthPath, SliceFile.IsH5Path(truthPath) ? split ?? input.Dataset : null);
        masks = TakeSlices(masks, slices, truthPath);
        if (masks.size(0) != input.Count || masks.size(1) != input.Images.size(2) || masks.size(2) != input.Images.size(3))
            throw new ArgumentException($"{truthPath}: {masks.size(0)} masks of {masks.size(2)}x{masks.size(1)} do not match {input.Count} slices of {input.Images.size(3)}x{input.Images.size(2)} in {input.Path}");
        return masks;
    }

    /// <summary>The rows of <paramref name="t"/> that `--slices` lists (all without it).</summary>
    public static Tensor TakeSlices(Tensor t, string? list, string path) =>
        list is null ? t : SliceFile.Rows(t, SliceId.ParseList(list, "--slices"), path);

    /// <summary>Warns on stderr when some of the slices were the model's own training or validation slices.</summary>
    public static void WarnIfSeen(ModelConfig config, IReadOnlyList<string> ids)
    {
        var seen = config.Seen(ids);
        if (seen.Length == 0) return;
        Console.Error.WriteLine($"warning: {seen.Length} of these {ids.Count} slices were used to train or validate this model ({string.Join(", ", seen.Take(5))}{(seen.Length > 5 ? ", ..." : "")}): " +
            "their score says little about new slices; score held-out slices (data pack --test, then --split test)");
    }

    public static void Print(SegmentationMetrics m, IEnumerable<(string Name, SegmentationMetrics M, bool RecallOnly)>? classes = null)
    {
        var rows = new List<(string Name, SegmentationMetrics M, bool RecallOnly)> { ("infection", m, false) };
        rows.AddRange(classes ?? []);
        Console.WriteLine($"{"",-10} {"Dice",8} {"pooled",8} {"IoU",8} {"precision",10} {"recall",8} {"specificity",12}");
        foreach (var (name, r, recallOnly) in rows)
            Console.WriteLine(recallOnly
                ? $"{name,-10} {"-",8} {"-",8} {"-",8} {"-",10} {r.Recall,8:F4} {"-",12}"
                : $"{name,-10} {r.MeanDice,8:F4} {r.PooledDice,8:F4} {r.IoU,8:F4} {r.Precision,10:F4} {r.Recall,8:F4} {r.Specificity,12:F4}");
        Console.WriteLine(JsonSerializer.Serialize(rows.ToDictionary(r => r.Name, r => r.RecallOnly
            ? (object)new { recall = r.M.Recall, slices = r.M.Slices }
            : new { dice_mean = r.M.MeanDice, dice_pooled = r.M.PooledDice, iou = r.M.IoU, precision = r.M.Precision, recall = r.M.Recall, specificity = r.M.Specificity, slices = r.M.Slices })));
    }
}
