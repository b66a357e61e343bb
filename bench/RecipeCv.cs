#:project ../src/Ganymede.Segmentation/Ganymede.Segmentation.csproj
#:property PublishAot=false
#:property TieredCompilationQuickJitForLoops=false
// Cross-validates training recipes on a packed H5 file and prints one line per recipe (the README's evidence table).
//   ganymede data pack --images IM.nii.gz --masks MASK.nii.gz --out /tmp/c128.h5 --size 128 --valid 0
//   env -u OPENBLAS_CORETYPE dotnet run -c Release bench/RecipeCv.cs -- /tmp/c128.h5 40 baseline prior prior-lr3e-3
using Ganymede;
using Ganymede.Formats.Hdf5;
using Ganymede.Segmentation;

var data = args[0];
int epochs = int.Parse(args[1]);
var train = SegmentationData.Load(data, "train");
double[] range;
using (var file = H5File.Open(data)) range = (double[])file.GetAttribute("intensity_range");
var recipes = new Dictionary<string, TrainOptions>
{
    ["baseline"] = new() { HeadBiasPrior = false },
    ["prior"] = new(),
    ["prior-lr3e-3"] = new() { LearningRate = 3e-3f },
    ["prior-lr3e-3-batch4"] = new() { LearningRate = 3e-3f, Batch = 4 },
    ["prior-lr3e-3-noaug"] = new() { LearningRate = 3e-3f, Augment = Augmentation.None },
    ["prior-lr3e-3-base32"] = new() { LearningRate = 3e-3f, Base = 32 },
    ["prior-lr3e-3-bce"] = new() { LearningRate = 3e-3f, DiceWeight = 0 },
};
foreach (var name in args[2..])
{
    var options = recipes[name] with { Epochs = epochs, Patience = 0 };
    var config = new ModelConfig("unet", 1, 1, options.Base, options.Depth, options.Dropout, options.ConvBias, options.UpKernel, train.Images.size(2), (float)range[0], (float)range[1], name);
    var clock = System.Diagnostics.Stopwatch.StartNew();
    var result = CrossValidation.Run(train, config, options, 5, Directory.CreateTempSubdirectory($"recipe-cv-{name}-").FullName);
    Console.WriteLine($"{name,-24} size {train.Images.size(2)} epochs {epochs}: mean Dice {result.Mean:F4} ± {result.Std:F4} folds [{string.Join(", ", result.FoldDice.Select(d => d.ToString("F3")))}] best epochs [{string.Join(", ", result.BestEpochs)}] {clock.Elapsed.TotalMinutes:F1} min");
}
