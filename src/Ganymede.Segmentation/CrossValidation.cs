namespace Ganymede.Segmentation;

/// <summary>k-fold cross-validation: slices dealt into folds by a seeded shuffle; each fold trains on the rest and reports its best Dice.</summary>
public static class CrossValidation
{
    public sealed record Result(double[] FoldDice, int[] BestEpochs)
    {
        public double Mean => FoldDice.Average();

        public double Std => Math.Sqrt(FoldDice.Select(d => (d - Mean) * (d - Mean)).Sum() / Math.Max(1, FoldDice.Length - 1));
    }

    public static Result Run(SegmentationSplit all, ModelConfig config, TrainOptions options, int folds, string directory,
        Func<int, IProgress<TrainProgress>?>? progress = null, Action<int, EpochMetrics>? onEpoch = null, Action<int, TrainResult>? onFold = null)
    {
        if (folds < 2 || folds > all.Count) throw new ArgumentException($"cross-validation needs 2 to {all.Count} folds, got {folds}");
        var order = new Generator(options.Seed).Permutation(all.Count);
        var dice = new double[folds];
        var epochs = new int[folds];
        for (int k = 0; k < folds; k++)
        {
            var held = order.Where((_, i) => i % folds == k).ToArray();
            var rest = order.Where((_, i) => i % folds != k).ToArray();
            int fold = k;
            var run = new Trainer(options, Path.Combine(directory, $"fold{k + 1}"))
                .Run(all.Subset(rest), all.Subset(held), config, null, progress?.Invoke(k), m => onEpoch?.Invoke(fold, m));
            dice[k] = run.BestDice;
            epochs[k] = run.BestEpoch;
            onFold?.Invoke(k, run);
        }
        return new Result(dice, epochs);
    }
}
