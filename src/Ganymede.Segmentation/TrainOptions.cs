namespace Ganymede.Segmentation;

/// <summary>
/// A training recipe. The defaults are the recipe chosen by cross-validation on the 50 COVID-SemiSeg slices
/// (README); <see cref="Paper"/> is the original system's model and settings.
/// </summary>
public sealed record TrainOptions
{
    public int Epochs { get; init; } = 320;

    /// <summary>
    /// Train the first <see cref="PatchFraction"/> of the epochs on random square patches of this side cut from the
    /// slices (0 = off), then the rest on whole slices. The UNet is fully convolutional, so the weights carry over; an
    /// epoch on patches of half the side takes about a third of the time. Slices not larger than this train whole
    /// throughout.
    /// </summary>
    public int PatchSize { get; init; }

    /// <summary>Share of <see cref="Epochs"/>, from the start, trained on patches.</summary>
    public float PatchFraction { get; init; } = 0.75f;

    /// <summary>
    /// Progressive resizing instead of patches: the whole slice resized to <see cref="PatchSize"/> (square slices
    /// only), so lesions look smaller than they will at full size. Validation is then at that size too, so the best
    /// model and early stopping wait for whole slices.
    /// </summary>
    public bool PatchResize { get; init; }
    public int Batch { get; init; } = 8;

    /// <summary>
    /// Adam's peak rate under the cosine schedule. 5e-4 beat 1e-3 in the README's cross-validation at two training
    /// seeds, at the best and the last epoch, with and without test-time augmentation.
    /// </summary>
    public float LearningRate { get; init; } = 5e-4f;

    /// <summary>
    /// "adam", or "sgd": SGD with Nesterov momentum <see cref="Momentum"/> and L2 <see cref="WeightDecay"/>, as
    /// nnU-Net trains (there with learning rate 0.01, momentum 0.99, weight decay 3e-5).
    /// </summary>
    public string Optimizer { get; init; } = "adam";
    public float Momentum { get; init; } = 0.99f;

    /// <summary>L2 weight decay, added to the gradient by either optimizer.</summary>
    public float WeightDecay { get; init; }

    public int Base { get; init; } = 16;
    public int Depth { get; init; } = 4;
    public float Dropout { get; init; }
    public bool ConvBias { get; init; }
    public int UpKernel { get; init; } = 2;
    public ulong Seed { get; init; }

    /// <summary>Weight of the soft Dice term added to BCE (0 = BCE alone).</summary>
    public float DiceWeight { get; init; } = 1;

    /// <summary>
    /// Soft Dice per slice, averaged (the metric's own weighting), instead of pooled over the batch: better on every
    /// fold of the README's cross-validation.
    /// </summary>
    public bool DicePerSlice { get; init; } = true;

    /// <summary>
    /// Weight of extra (false-positive) pixels in the Dice term, generalised to Tversky's index; missed pixels weigh
    /// 1 − this. 0.5 is soft Dice.
    /// </summary>
    public float DiceFalsePositiveWeight { get; init; } = 0.5f;

    /// <summary>Also train on predictions from the decoder's coarser levels (see <see cref="Segmentation.DeepSupervision"/>).</summary>
    public bool DeepSupervision { get; init; }

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
    /// validation Dice rises until late and plateaus for long stretches on the way: in the README's cross-validation
    /// (240 epochs) a patience of 20 would have stopped folds at epochs 32-113 (mean best Dice 0.695 instead of
    /// 0.728), 40 or 60 still stopped some; 80 stopped none.
    /// </summary>
    public int Patience { get; init; } = 80;

    /// <summary>
    /// Decay of an exponential moving average of the weights, updated every step; when above 0 the average is
    /// what is validated and saved as the best model (0 = the trained weights themselves).
    /// </summary>
    public float WeightAverageDecay { get; init; }

    /// <summary>
    /// Float32 precision of the convolutions while training and validating, in torch.set_float32_matmul_precision's
    /// names: "highest" (float32) or "medium" (bfloat16 inputs, float32 sums; see <see cref="Backends.Float32Precision"/>).
    /// Medium by default: its faster step buys a third more epochs in the same time, which the README's
    /// cross-validation found better on every fold.
    /// </summary>
    public string Precision { get; init; } = "medium";

    /// <summary>"cosine" (to 1% of the rate at the last epoch) or "constant".</summary>
    public string Schedule { get; init; } = "cosine";

    public static TrainOptions Paper { get; } = new()
    {
        Base = 64, Dropout = 0.2f, ConvBias = true, UpKernel = 3, Batch = 32, LearningRate = 1e-3f, DiceWeight = 0,
        TotalVariationWeight = 2.4e-7f, Augment = Augmentation.None, Schedule = "constant", Patience = 0, Epochs = 10, HeadBiasPrior = false,
        Precision = "highest",
    };

    public static TrainOptions Preset(string name) => name switch
    {
        "default" => new TrainOptions(),
        "paper" => Paper,
        _ => throw new ArgumentException($"unknown preset '{name}' (expected default or paper)"),
    };
}
