using Ganymede.Backends;
using Ganymede.Tests;
using Ganymede.Formats.Datasets;
using Ganymede.Formats.Nifti;

namespace Ganymede.Segmentation.Tests;

/// <summary>End to end on real CT slices at a small size: pack, train, resume, predict.</summary>
public class WorkflowTests : TempDirectoryTest
{
    private string Packed() => SmallRuns.Packed(Dir);

    private static readonly TrainOptions Small = SmallRuns.Options;

    private static ModelConfig Config(TrainOptions o) => SmallRuns.Config(o);

    [Fact]
    public void Training_reduces_the_loss_and_writes_checkpoints_and_metrics()
    {
        var data = Packed();
        var train = SegmentationData.Load(data, "train");
        var valid = SegmentationData.Load(data, "valid");
        var losses = new List<double>();
        var run = new Trainer(Small with { Epochs = 6 }, Path.Combine(Dir, "run")).Run(train, valid, Config(Small), new TrainingCallbacks(epoch: m => losses.Add(m.TrainLoss)));
        Assert.False(run.Interrupted);
        Assert.True(losses[^1] < losses[0], $"loss went from {losses[0]} to {losses[^1]}");
        Assert.True(File.Exists(run.BestCheckpoint) && File.Exists(run.LastCheckpoint));
        var csv = File.ReadAllLines(Path.Combine(Dir, "run", "metrics.csv"));
        Assert.Equal("epoch,train_loss,valid_loss,dice,pooled_dice,precision,recall,lr,seconds,size", csv[0]);
        Assert.Equal(7, csv.Length);
        Assert.Equal(6, File.ReadAllLines(Path.Combine(Dir, "run", "metrics.jsonl")).Length);
        var again = Assert.Throws<ArgumentException>(() => new Trainer(Small, Path.Combine(Dir, "run")).Run(train, valid, Config(Small)));
        Assert.Contains("--resume", again.Message);
        var wrong = Assert.Throws<ArgumentException>(() => new Trainer(Small with { Batch = 0, Dropout = 1 }, Path.Combine(Dir, "other")).Run(train, valid, Config(Small)));
        Assert.Equal("training options: batch 0 must be positive; dropout 1 must be in [0, 1)", wrong.Message);
        Assert.False(Directory.Exists(Path.Combine(Dir, "other")));
    }

    [Theory]
    [InlineData(MatmulPrecision.Highest)]
    [InlineData(MatmulPrecision.Medium)] // bfloat16 convolutions where the CPU has them
    public void A_run_stopped_mid_epoch_and_resumed_ends_bit_for_bit_where_an_uninterrupted_run_ends(MatmulPrecision precision)
    {
        var data = Packed();
        var train = SegmentationData.Load(data, "train");
        var valid = SegmentationData.Load(data, "valid");
        var options = Small with { Precision = precision };
        var straight = new Trainer(options, Path.Combine(Dir, "straight")).Run(train, valid, Config(options));

        using var cancel = new CancellationTokenSource();
        int reports = 0;
        var stopAtSeventhStep = new TrainingCallbacks(progress: _ => { if (++reports == 7) cancel.Cancel(); });
        var first = new Trainer(options, Path.Combine(Dir, "split")).Run(train, valid, Config(options), stopAtSeventhStep, cancel.Token);
        Assert.True(first.Interrupted);
        var resumed = new Trainer(options, Path.Combine(Dir, "split")).Resume(train, valid, Config(options));
        Assert.False(resumed.Interrupted);

        AssertSameWeights(straight.LastCheckpoint, resumed.LastCheckpoint);
        AssertSameWeights(straight.BestCheckpoint, resumed.BestCheckpoint);
        var lr = File.ReadLines(Path.Combine(Dir, "split", "metrics.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[7], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(File.ReadLines(Path.Combine(Dir, "straight", "metrics.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[7], System.Globalization.CultureInfo.InvariantCulture)), lr);
    }

    [Fact]
    public void A_run_stopped_before_its_first_validation_keeps_a_checkpoint_and_resumes()
    {
        var data = Packed();
        var (train, valid) = (SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"));
        var directory = Path.Combine(Dir, "run");
        using var cancel = new CancellationTokenSource();
        var stopAtFirstStep = new TrainingCallbacks(progress: _ => cancel.Cancel());
        var first = new Trainer(Small with { Epochs = 1 }, directory).Run(train, valid, Config(Small), stopAtFirstStep, cancel.Token);
        Assert.True(first.Interrupted);
        Assert.True(File.Exists(first.LastCheckpoint));
        var resumed = new Trainer(Small with { Epochs = 1 }, directory).Resume(train, valid, Config(Small));
        Assert.False(resumed.Interrupted);
        Assert.Equal((1, 1), (resumed.Epochs, resumed.BestEpoch));
    }

    [Fact]
    public async Task Runs_with_dropout_side_by_side_end_bit_for_bit_where_each_run_alone_ends()
    {
        var data = Packed();
        var (train, valid) = (SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"));
        var options = new[] { 1UL, 2UL }.Select(seed => Small with { Epochs = 2, Dropout = 0.3f, Precision = MatmulPrecision.Highest, Seed = seed }).ToArray();
        TrainResult Train(int k, string name) => new Trainer(options[k], Path.Combine(Dir, $"{name}{k}")).Run(train, valid, Config(options[k]));
        var alone = new[] { Train(0, "alone"), Train(1, "alone") };
        var together = await Task.WhenAll(Task.Run(() => Train(0, "together")), Task.Run(() => Train(1, "together")));
        for (int k = 0; k < 2; k++) AssertSameWeights(alone[k].LastCheckpoint, together[k].LastCheckpoint);
    }

    [Fact]
    public void Resuming_with_other_options_is_refused_naming_each_difference_unless_allowed()
    {
        var data = Packed();
        var (train, valid) = (SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"));
        var directory = Path.Combine(Dir, "run");
        new Trainer(Small with { Epochs = 1 }, directory).Run(train, valid, Config(Small));
        var changed = Small with { Epochs = 2, LearningRate = 1e-3f };
        var refused = Assert.Throws<ArgumentException>(() => new Trainer(changed, directory).Resume(train, valid, Config(changed)));
        Assert.Contains("(Epochs: 1 → 2; LearningRate: 0.003 → 0.001)", refused.Message);
        Assert.Single(File.ReadLines(Path.Combine(directory, "metrics.jsonl")));
        var resumed = new Trainer(changed, directory).Resume(train, valid, Config(changed), allowChangedOptions: true);
        Assert.Equal(2, resumed.Epochs);
        // The run now records the new options: resuming with them needs no permission.
        Assert.Equal(2, new Trainer(changed, directory).Resume(train, valid, Config(changed)).Epochs);
    }

    [Fact]
    public void Predict_writes_masks_with_the_input_geometry()
    {
        var data = Packed();
        var run = new Trainer(Small with { Epochs = 1 }, Path.Combine(Dir, "p")).Run(SegmentationData.Load(data, "train"), SegmentationData.Load(data, "valid"), Config(Small));
        var onnx = Path.Combine(Dir, "model.onnx");
        ModelExport.ToOnnx(run.BestCheckpoint, onnx);
        var volume = NiftiImage.Load(SharedData.CovidSemiSeg("train_im.nii.gz"));
        var few = volume.Data.narrow(0, 0, 3);
        using var checkpoint = SegmentationModel.Load(run.BestCheckpoint);
        using var exported = SegmentationModel.Load(onnx);
        var p = new Predictor(checkpoint, testTimeAugmentation: true).Probabilities(few.unsqueeze(1));
        var q = new Predictor(exported, testTimeAugmentation: true).Probabilities(few.unsqueeze(1));
        var (pa, qa) = (p.ToArray(), q.ToArray());
        for (int i = 0; i < pa.Length; i += 97) Assert.True(Math.Abs(pa[i] - qa[i]) < 1e-4f, $"checkpoint {pa[i]} vs ONNX {qa[i]}");
        Assert.Equal([3, 1, 512, 512], p.shape);
        Assert.InRange(p.min().item(), 0, 1);
        Assert.InRange(p.max().item(), 0, 1);
        var header = new NiftiHeader { Dims = [512, 512, 3], SformCode = 1, SRow = [[0.8f, 0, 0, -100], [0, 0.8f, 0, -90], [0, 0, 5, 12]] };
        var path = Path.Combine(Dir, "pred.nii.gz");
        NiftiImage.Like(new NiftiImage(header, few), p.gt(0.5f).@float().reshape(3, 512, 512), NiftiDataType.UInt8).Save(path);
        var back = NiftiImage.Load(path);
        Assert.Equal([512, 512, 3], back.Header.Dims);
        Assert.Equal(NiftiDataType.UInt8, back.Header.DataType);
        Assert.Equal(-90, back.Header.Affine()[1, 3], 4);
    }

    [Fact]
    public void A_model_trained_on_body_crops_predicts_each_slice_in_place()
    {
        var path = Path.Combine(Dir, "cut.h5");
        var images = NiftiImage.Load(SharedData.CovidSemiSeg("train_im.nii.gz")).Data;
        var masks = NiftiImage.Load(SharedData.CovidSemiSeg("train_mask.nii.gz")).Data;
        SegmentationPacker.Pack(images, masks, path, new PackOptions(Size: 32, Valid: 0.2, Seed: 1, Crop: SliceCrop.Body), "covid-semiseg");
        var train = SegmentationData.Load(path, "train");
        var config = ModelConfig.ForData(path, train, Small);
        Assert.True(config.CropsToBody);
        var run = new Trainer(Small with { Epochs = 1 }, Path.Combine(Dir, "cut")).Run(train, SegmentationData.Load(path, "valid"), config);
        var onnx = Path.Combine(Dir, "cut.onnx");
        ModelExport.ToOnnx(run.BestCheckpoint, onnx);
        using var model = SegmentationModel.Load(onnx);
        Assert.Equal("body", model.Config.Crop);

        var p = new Predictor(model).Probabilities(images.narrow(0, 0, 2).unsqueeze(1));
        Assert.Equal([2, 1, 512, 512], p.shape);
        // Slice 0's body spans rows 71..439 of the 512 canvas (train_slices.json): outside its square nothing is predicted.
        var square = BodyCrop.Find(images.select(0, 0).contiguous().ToArray(), 512, 512);
        Assert.InRange(square.Side, 369, 400);
        var first = p.select(0, 0).select(0, 0);
        Assert.Equal(0, first.narrow(0, 0, square.Top).abs().max().item());
        Assert.True(first.narrow(0, square.Top, square.Side).narrow(1, Math.Max(0, square.Left), 50).max().item() > 0);
    }

    [Fact]
    public void Metrics_match_an_independent_numpy_computation()
    {
        var random = new Generator(5);
        var pred = torch.rand([6, 20, 20], random).gt(0.7f).@float();
        var truth = torch.rand([6, 20, 20], random).gt(0.6f).@float();
        truth.narrow(0, 2, 1).zero_();
        pred.narrow(0, 2, 1).zero_();
        var ours = SegmentationMetrics.Compute(pred, truth);
        var p = string.Join(",", pred.ToArray());
        var t = string.Join(",", truth.ToArray());
        var theirs = Peers.Python(
            "import numpy as np\n" +
            $"p = np.array([{p}]).reshape(6, -1) > 0.5; t = np.array([{t}]).reshape(6, -1) > 0.5\n" +
            "tp = (p & t).sum(1); fp = (p & ~t).sum(1); fn = (~p & t).sum(1); tn = (~p & ~t).sum(1)\n" +
            "d = np.where(tp + fp + fn == 0, 1.0, 2 * tp / np.maximum(2 * tp + fp + fn, 1))\n" +
            "T, FP, FN, TN = tp.sum(), fp.sum(), fn.sum(), tn.sum()\n" +
            "print(' '.join('%.10f' % v for v in [d.mean(), 2 * T / (2 * T + FP + FN), T / (T + FP + FN), T / (T + FP), T / (T + FN), TN / (TN + FP)]))");
        var expected = theirs.Split(' ').Select(double.Parse).ToArray();
        Assert.Equal(expected, [ours.MeanDice, ours.PooledDice, ours.IoU, ours.Precision, ours.Recall, ours.Specificity], new Tolerance());
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-9;
        public int GetHashCode(double v) => 0;
    }

    private static void AssertSameWeights(string expected, string actual)
    {
        var (_, a) = Checkpoint.LoadModel(expected);
        var (_, b) = Checkpoint.LoadModel(actual);
        foreach (var (name, value) in a.state_dict())
            Assert.True(value.ToArray().SequenceEqual(b.state_dict()[name].ToArray()), $"{name} differs in {actual}");
    }
}
