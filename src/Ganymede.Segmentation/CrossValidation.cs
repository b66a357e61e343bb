namespace Ganymede.Segmentation;

/// <summary>
/// k-fold cross-validation: slices dealt into folds by a seeded shuffle; each fold trains on the rest and reports its
/// best Dice. The shuffle uses the training seed unless <c>splitSeed</c> is given, which keeps the folds fixed while
/// the training seed varies (to measure how much one training run's luck moves a fold).
/// </summary>
public static class CrossValidation
{
    public sealed record Result(double[] FoldDice, int[] BestEpochs)
    {
        public double Mean => FoldDice.Average();

        public double Std => Math.Sqrt(FoldDice.Select(d => (d - Mean) * (d - Mean)).Sum() / Math.Max(1, FoldDice.Length - 1));
    }

    public static Result Run(SegmentationSplit all, ModelConfig config, TrainOptions options, int folds, string directory,
        Func<int, ITrainingObserver?>? observer = null, Action<int, TrainResult>? onFold = null, ulong? splitSeed = null)
    {
        if (folds < 2 || folds > all.Count) throw new ArgumentException($"cross-validation needs 2 to {all.Count} folds, got {folds}");
        var dice = new double[folds];
        var epochs = new int[folds];
        for (int k = 0; k < folds; k++)
        {
            var (rest, held) = Fold(all.Count, folds, splitSeed ?? options.Seed, k);
            var (trainFold, heldFold) = (all.Subset(rest), all.Subset(held));
            var run = new Trainer(options, Path.Combine(directory, $"fold{k + 1}"))
                .Run(trainFold, heldFold, config with { TrainedOn = trainFold.SliceIds, ValidatedOn = heldFold.SliceIds }, observer?.Invoke(k));
            dice[k] = run.BestDice;
            epochs[k] = run.BestEpoch;
            onFold?.Invoke(k, run);
        }
        return new Result(dice, epochs);
    }

    /// <summary>Fold <paramref name="k"/>'s slices (positions in the split): a seeded shuffle dealt round-robin, fold k's share held out.</summary>
    public static (int[] Train, int[] Held) Fold(int count, int folds, ulong seed, int k)
    {
        var order = new Generator(seed).Permutation(count);
        return (order.Where((_, i) => i % folds != k).ToArray(), order.Where((_, i) => i % folds == k).ToArray());
    }
}
