using Ganymede.Backends;

namespace Ganymede.Segmentation;

/// <summary>How the learning rate moves over a run.</summary>
public enum LearningRateSchedule
{
    /// <summary>Cosine annealing from <see cref="TrainOptions.LearningRate"/> to <see cref="TrainOptions.MinLearningRate"/>, step by step.</summary>
    Cosine,

    /// <summary>The same rate throughout (the original system's).</summary>
    Constant,
}

/// <summary>
/// A training recipe. The defaults are the recipe chosen by cross-validation on the COVID-SemiSeg slices
/// (docs/recipe-evidence.md, which also keeps the evidence for the options that did not help and were removed);
/// <see cref="Paper"/> is the original system's model and settings.
/// </summary>
public sealed record TrainOptions
{
    public int Epochs { get; init; } = 320;
    public int Batch { get; init; } = 8;

    /// <summary>Adam's rate (the peak of the cosine schedule): the best of the rates cross-validated.</summary>
    public float LearningRate { get; init; } = 5e-4f;

    /// <summary>Where the cosine schedule ends, at the last step of the last epoch.</summary>
    public float MinLearningRate { get; init; } = 5e-6f;

    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    public int Base { get; init; } = 16;
    public int Depth { get; init; } = 4;
    public float Dropout { get; init; }
    public bool ConvBias { get; init; }
    public int UpKernel { get; init; } = 2;
    public ulong Seed { get; init; }

    /// <summary>
    /// Weight of the soft Dice term added to BCE (0 = BCE alone). The Dice is computed per slice and averaged, as the
    /// metric weighs slices, so a small lesion counts as much as a large one.
    /// </summary>
    public float DiceWeight { get; init; } = 1;

    /// <summary>Weight of the original's anisotropic total-variation term on the last output channel.</summary>
    public float TotalVariationWeight { get; init; }

    public Augmentation Augment { get; init; } = new();

    /// <summary>
    /// Start the head's bias at the log-odds of the lesion fraction in the training masks, so the first steps
    /// are not spent learning that most pixels are background (the prior initialisation of the focal-loss paper).
    /// </summary>
    public bool HeadBiasPrior { get; init; } = true;

    /// <summary>
    /// Epochs without a better validation Dice before training stops (0 = never). Under the cosine schedule the
    /// validation Dice rises until late and plateaus for long stretches on the way, so a patience that is a small share
    /// of the epochs stops runs well before their best epoch (docs/recipe-evidence.md).
    /// </summary>
    public int Patience { get; init; } = 80;

    /// <summary>
    /// Float32 precision of the convolutions while training and validating (<see cref="Float32Precision"/>). Medium by
    /// default: on CPUs with bfloat16 instructions its faster step buys more epochs in the same time, which
    /// cross-validated better; elsewhere it computes in float32.
    /// </summary>
    public MatmulPrecision Precision { get; init; } = MatmulPrecision.Medium;

    public static TrainOptions Paper { get; } = new()
    {
        Base = 64, Dropout = 0.2f, ConvBias = true, UpKernel = 3, Batch = 32, LearningRate = 1e-3f, DiceWeight = 0,
        TotalVariationWeight = 2.4e-7f, Augment = Augmentation.None, Schedule = LearningRateSchedule.Constant, Patience = 0, Epochs = 10,
        HeadBiasPrior = false, Precision = MatmulPrecision.Highest,
    };

    public static TrainOptions Preset(string name) => name switch
    {
        "default" => new TrainOptions(),
        "paper" => Paper,
        _ => throw new ArgumentException($"unknown preset '{name}' (expected default or paper)"),
    };

    /// <summary>Refuses options no run can use, naming each.</summary>
    public void Check()
    {
        var wrong = new List<string>();
        if (Epochs <= 0) wrong.Add($"epochs {Epochs} must be positive");
        if (Batch <= 0) wrong.Add($"batch {Batch} must be positive");
        if (!(LearningRate > 0)) wrong.Add($"learning rate {LearningRate} must be positive");
        if (MinLearningRate < 0 || MinLearningRate > LearningRate) wrong.Add($"minimum learning rate {MinLearningRate} must be between 0 and the learning rate {LearningRate}");
        if (Base <= 0 || Depth <= 0) wrong.Add($"base {Base} and depth {Depth} must be positive");
        if (Dropout is < 0 or >= 1) wrong.Add($"dropout {Dropout} must be in [0, 1)");
        if (DiceWeight < 0 || TotalVariationWeight < 0) wrong.Add("loss weights must not be negative");
        if (Patience < 0) wrong.Add($"patience {Patience} must be 0 (never stop early) or positive");
        if (wrong.Count > 0) throw new ArgumentException("training options: " + string.Join("; ", wrong));
    }
}
