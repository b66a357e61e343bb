#:project ../src/Ganymede.Segmentation/Ganymede.Segmentation.csproj
#:property PublishAot=false
#:property TieredCompilationQuickJitForLoops=false
// Cross-validates training recipes on a packed H5 file and prints one line per recipe (the README's evidence table).
//   ganymede data pack --images IM.nii.gz --masks MASK.nii.gz --out /tmp/c256.h5 --size 256 --valid 0 [--crop none]
//   dotnet run -c Release bench/RecipeCv.cs -- /tmp/c256.h5 60 prior [more recipes] [--volume IM.nii.gz MASK.nii.gz]
// With --volume (the volumes the file was packed from), each fold's best and last models are also scored as `predict` would
// score it: the held-out slices at their own resolution, with and without test-time augmentation (flips and transposes).
//   ... bench/RecipeCv.cs -- /tmp/c256.h5 --evaluate /tmp/recipe-cv-prior-XXXX [last] --volume IM.nii.gz MASK.nii.gz
// scores a finished run again; `last` scores each fold's last checkpoint instead of its best, which involves no
// choice on the held-out slices.
using Ganymede;
using Ganymede.Formats.Nifti;
using Ganymede.Segmentation;

var data = args[0];
int volumeAt = Array.IndexOf(args, "--volume");
(Tensor Images, Tensor Masks)? volume = volumeAt < 0 ? null : (NiftiImage.Load(args[volumeAt + 1]).Data, NiftiImage.Load(args[volumeAt + 2]).Data);
var positional = volumeAt < 0 ? args[1..] : args[1..volumeAt];
var train = SegmentationData.Load(data, "train");
const int Folds = 5;
const ulong SplitSeed = 0; // every recipe, whatever its training seed, is scored on the same folds
// Each recipe is a whole option set, written out here rather than taken from TrainOptions' defaults, so that a row of
// docs/recipe-evidence.md can be reproduced after the defaults change. `chosen` is the recipe the defaults are today.
var chosen = new TrainOptions
{
    Epochs = 320, Batch = 8, LearningRate = 5e-4f, MinLearningRate = 5e-6f, Schedule = LearningRateSchedule.Cosine,
    Base = 16, Depth = 4, Dropout = 0, ConvBias = false, UpKernel = 2, Seed = 0, DiceWeight = 1, TotalVariationWeight = 0,
    Augment = new Augmentation(Flips: true, Rotate90: true, MaxDegrees: 10, MaxScale: 0.1f, MaxShift: 0.05f, Brightness: 0.1f, Contrast: 0.1f, AffineProbability: 1f),
    HeadBiasPrior = true, Patience = 80, Precision = Ganymede.Backends.MatmulPrecision.Medium,
};
var recipes = new Dictionary<string, TrainOptions>
{
    ["chosen"] = chosen,
    ["no-prior"] = chosen with { HeadBiasPrior = false },
    ["dropout"] = chosen with { Dropout = 0.2f },
    ["base32"] = chosen with { Base = 32 },
    ["light-aug"] = chosen with { Augment = new Augmentation(MaxDegrees: 5, MaxScale: 0.05f, MaxShift: 0.02f, Brightness: 0.05f, Contrast: 0.05f, Flips: true, Rotate90: true, AffineProbability: 1f) },
    ["strong-aug"] = chosen with { Augment = new Augmentation(MaxDegrees: 25, MaxScale: 0.2f, MaxShift: 0.1f, Brightness: 0.2f, Contrast: 0.2f, Flips: true, Rotate90: true, AffineProbability: 1f) },
    ["affine-half"] = chosen with { Augment = chosen.Augment with { AffineProbability = 0.5f } },
    ["no-rot90"] = chosen with { Augment = chosen.Augment with { Rotate90 = false } },
    ["no-rot90-no-flips"] = chosen with { Augment = chosen.Augment with { Flips = false, Rotate90 = false } },
    ["no-aug"] = chosen with { Augment = Augmentation.None },
    ["depth3"] = chosen with { Depth = 3 },
    ["depth5"] = chosen with { Depth = 5 },
    ["batch4"] = chosen with { Batch = 4 },
    ["float32"] = chosen with { Precision = Ganymede.Backends.MatmulPrecision.Highest },
    ["seed1"] = chosen with { Seed = 1 },
    ["lr1e-3"] = chosen with { LearningRate = 1e-3f, MinLearningRate = 1e-5f },
    ["lr2e-3"] = chosen with { LearningRate = 2e-3f, MinLearningRate = 2e-5f },
    ["bce"] = chosen with { DiceWeight = 0 },
    ["paper"] = TrainOptions.Paper,
};

if (positional[0] == "--evaluate")
{
    Console.WriteLine(FullResolution(positional[1], positional.Length > 2 ? positional[2] : "best"));
    return;
}
int epochs = int.Parse(positional[0]);
foreach (var name in positional[1..])
{
    // The epochs are the command's; early stopping is off so that every fold runs them all.
    var options = recipes[name] with { Epochs = epochs, Patience = 0 };
    var config = ModelConfig.ForData(data, train, options) with { Description = name };
    var clock = System.Diagnostics.Stopwatch.StartNew();
    var directory = Directory.CreateTempSubdirectory($"recipe-cv-{name}-").FullName;
    var result = CrossValidation.Run(train, config, options, Folds, directory, splitSeed: SplitSeed);
    Console.WriteLine($"{name,-24} size {train.Images.size(2)} crop {config.Crop} epochs {epochs}: mean Dice {result.Mean:F4} ± {result.Std:F4} folds [{string.Join(", ", result.FoldDice.Select(d => d.ToString("F3")))}] best epochs [{string.Join(", ", result.BestEpochs)}] {clock.Elapsed.TotalMinutes:F1} min ({directory})");
    // The best epoch is chosen on the held-out fold itself, which flatters it; the last epoch involves no choice.
    var last = Enumerable.Range(1, Folds).Select(k => double.Parse(File.ReadLines(Path.Combine(directory, $"fold{k}", "metrics.csv")).Last().Split(',')[3],
        System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    Console.WriteLine($"  last epoch: mean Dice {last.Average():F4} folds [{string.Join(", ", last.Select(d => d.ToString("F3")))}]");
    Console.WriteLine(FullResolution(directory, "best"));
    Console.WriteLine(FullResolution(directory, "last"));
}

// Each fold's best (or last) checkpoint on its held-out slices from the original volume, as `ganymede predict` sees them.
string FullResolution(string directory, string checkpoint)
{
    if (volume is null) return "(no --volume: full-resolution scores skipped)";
    var plain = new List<double>();
    var augmented = new List<double>();
    for (int k = 0; k < Folds; k++)
    {
        var held = CrossValidation.Fold(train.Count, Folds, SplitSeed, k).Held.Select(i => (int)train.Slices[i]).ToArray();
        var images = torch.stack(held.Select(i => volume.Value.Images.select(0, i)).ToList()).unsqueeze(1);
        var truth = torch.stack(held.Select(i => volume.Value.Masks.select(0, i)).ToList()).unsqueeze(1).gt(0).@float();
        using var model = SegmentationModel.Load(Path.Combine(directory, $"fold{k + 1}", checkpoint + ".safetensors"));
        plain.Add(SegmentationMetrics.Compute(new Predictor(model).Probabilities(images).gt(0.5f).@float(), truth).MeanDice);
        augmented.Add(SegmentationMetrics.Compute(new Predictor(model, testTimeAugmentation: true).Probabilities(images).gt(0.5f).@float(), truth).MeanDice);
    }
    string Line(List<double> d) => $"{d.Average():F4} ± {Math.Sqrt(d.Sum(x => (x - d.Average()) * (x - d.Average())) / (d.Count - 1)):F4} [{string.Join(", ", d.Select(x => x.ToString("F3")))}]";
    return $"  {checkpoint} checkpoints at full resolution: mean Dice {Line(plain)}; averaging flips and transposes {Line(augmented)}";
}
