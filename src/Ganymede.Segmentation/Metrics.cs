namespace Ganymede.Segmentation;

/// <summary>
/// Lesion metrics of binary masks: Dice (mean over slices, and pooled over all pixels), IoU, precision, recall
/// (sensitivity) and specificity. A slice with no lesion in truth and prediction counts as Dice 1 in the mean.
/// Background-dominated figures (pixel accuracy) are deliberately absent.
/// </summary>
public sealed record SegmentationMetrics(double MeanDice, double PooledDice, double IoU, double Precision, double Recall, double Specificity, int Slices)
{
    /// <param name="predicted">0/1 masks [N, ...].</param>
    /// <param name="truth">0/1 masks of the same shape.</param>
    public static SegmentationMetrics Compute(Tensor predicted, Tensor truth)
    {
        if (!predicted.shape.SequenceEqual(truth.shape))
            throw new ShapeException($"metrics: prediction [{string.Join(", ", predicted.shape)}] and truth [{string.Join(", ", truth.shape)}] differ");
        int n = predicted.size(0);
        long perSlice = predicted.numel() / Math.Max(1, n);
        var p = predicted.ToArray();
        var t = truth.ToArray();
        long tp = 0, fp = 0, fn = 0, tn = 0;
        double diceSum = 0;
        for (int s = 0; s < n; s++)
        {
            long stp = 0, sfp = 0, sfn = 0;
            for (long i = s * perSlice; i < (s + 1) * perSlice; i++)
            {
                bool pi = p[i] > 0.5f, ti = t[i] > 0.5f;
                if (pi && ti) stp++;
                else if (pi) sfp++;
                else if (ti) sfn++;
                else tn++;
            }
            tp += stp;
            fp += sfp;
            fn += sfn;
            diceSum += stp + sfp + sfn == 0 ? 1 : 2.0 * stp / (2 * stp + sfp + sfn);
        }
        return new SegmentationMetrics(
            n == 0 ? double.NaN : diceSum / n,
            Ratio(2 * tp, 2 * tp + fp + fn),
            Ratio(tp, tp + fp + fn),
            Ratio(tp, tp + fp),
            Ratio(tp, tp + fn),
            Ratio(tn, tn + fp),
            n);
    }

    /// <summary>Dice of each slice of 0/1 masks [N, ...] (1 where both are empty), as in <see cref="MeanDice"/>.</summary>
    public static double[] DicePerSlice(Tensor predicted, Tensor truth) =>
        Enumerable.Range(0, predicted.size(0)).Select(k => Compute(predicted.narrow(0, k, 1), truth.narrow(0, k, 1)).MeanDice).ToArray();

    private static double Ratio(long a, long b) => b == 0 ? 1 : (double)a / b;
}
