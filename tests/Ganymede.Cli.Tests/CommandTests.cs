using Ganymede.Tests;
using Ganymede.Formats.Nifti;

namespace Ganymede.Cli.Tests;

/// <summary>The command line end to end, in-process: pack, train to ONNX, predict, evaluate against numpy, and bad input.</summary>
[Collection("console")]
public class CommandTests : TempDirectoryTest
{
    /// <summary>Runs `ganymede args` and returns (exit code, standard output, standard error).</summary>
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (GanymedeCommands.Root().Parse(args).Invoke(), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    [Fact]
    public void Pack_train_predict_and_evaluate_from_the_command_line()
    {
        string data = Path.Combine(Dir, "data.h5"), model = Path.Combine(Dir, "model.onnx"), pred = Path.Combine(Dir, "pred.nii.gz");
        string images = SharedData.CovidSemiSeg("train_im.nii.gz"), masks = SharedData.CovidSemiSeg("train_mask.nii.gz");
        Assert.Equal(0, Run("data", "pack", "--images", images, "--masks", masks, "--out", data, "--size", "32", "--valid", "0.2").Code);
        using (var packed = Formats.Hdf5.H5File.Open(data)) Assert.Equal("body", packed.GetAttribute("crop")); // the default
        string run = Path.Combine(Dir, "run");
        var train = Run("train", "--data", data, "--out", model, "--epochs", "1", "--base", "4", "--precision", "medium", "--run-dir", run);
        Assert.True(train.Code == 0, train.Err);
        // Resuming for more epochs changes the recipe (the schedule spans the epochs): refused unless allowed, naming the change.
        var refused = Run("train", "--data", data, "--out", model, "--epochs", "2", "--base", "4", "--precision", "medium", "--resume", run);
        Assert.Equal(1, refused.Code);
        Assert.Contains("(Epochs: 1 → 2)", refused.Err);
        var resumed = Run("train", "--data", data, "--out", model, "--epochs", "2", "--base", "4", "--precision", "medium", "--resume", run, "--allow-changed-options");
        Assert.True(resumed.Code == 0, resumed.Err);
        Assert.True(File.Exists(model));
        var metrics = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.Equal(3, metrics.Length);
        Assert.EndsWith(",32", metrics[2]);
        var predict = Run("predict", "--model", model, "--images", images, "--out", pred, "--threshold", "0.3", "--png", Path.Combine(Dir, "figures"), "--truth", masks);
        Assert.True(predict.Code == 0, predict.Err);
        var written = NiftiImage.Load(pred);
        Assert.Equal(NiftiImage.Load(images).Header.Dims, written.Header.Dims);
        Assert.Equal(50, Directory.GetFiles(Path.Combine(Dir, "figures"), "*.png").Length);

        var evaluate = Run("evaluate", "--pred", pred, "--truth", masks);
        Assert.Equal(0, evaluate.Code);
        var json = System.Text.Json.JsonDocument.Parse(evaluate.Out.Trim().Split('\n')[^1]).RootElement.GetProperty("infection");
        var numpy = Peers.Python(
            "import nibabel as nib, numpy as np\n" +
            $"p = np.asarray(nib.load('{pred}').dataobj) > 0; t = np.asarray(nib.load('{masks}').dataobj) > 0\n" +
            "tp = (p & t).sum((0, 1)); fp = (p & ~t).sum((0, 1)); fn = (~p & t).sum((0, 1))\n" +
            "d = np.where(tp + fp + fn == 0, 1.0, 2 * tp / np.maximum(2 * tp + fp + fn, 1))\n" +
            "T, FP, FN = tp.sum(), fp.sum(), fn.sum(); print('%.8f %.8f %.8f' % (d.mean(), 2 * T / (2 * T + FP + FN), T / max(T + FN, 1)))");
        var expected = numpy.Split(' ').Select(double.Parse).ToArray();
        Assert.Equal(expected[0], json.GetProperty("dice_mean").GetDouble(), 6);
        Assert.Equal(expected[1], json.GetProperty("dice_pooled").GetDouble(), 6);
        Assert.Equal(expected[2], json.GetProperty("recall").GetDouble(), 6);
    }

    [Fact]
    public void Data_packed_without_validation_slices_trains_on_the_last_epoch_and_says_so()
    {
        string data = Path.Combine(Dir, "data.h5"), model = Path.Combine(Dir, "model.safetensors");
        Assert.Equal(0, Run("data", "pack", "--images", SharedData.CovidSemiSeg("train_im.nii.gz"), "--masks", SharedData.CovidSemiSeg("train_mask.nii.gz"),
            "--out", data, "--size", "32", "--valid", "0").Code);
        var info = Run("data", "info", data);
        Assert.True(info.Code == 0, info.Err);
        Assert.Contains("X_valid: float32 [0, 32, 32, 1]", info.Out);
        var train = Run("train", "--data", data, "--out", model, "--epochs", "2", "--base", "4", "--run-dir", Path.Combine(Dir, "run"));
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("no validation slices", train.Err);
        Assert.Contains("no validation slices: the model is the last epoch's (2)", train.Out);
        Assert.True(File.Exists(model));
    }

    [Fact]
    public void Predict_reads_h5_datasets_and_png_folders()
    {
        var config = new Segmentation.ModelConfig("unet", 1, 1, 4, 2, 0, false, 2, 16, 0, 255, "untrained");
        var checkpoint = Path.Combine(Dir, "untrained.safetensors");
        using (var unet = config.Build(new Generator(1))) Segmentation.Checkpoint.Save(checkpoint, unet, config);
        // An H5 file that `data pack` did not write holds raw intensities: these are on the model's 0-255 scale...
        var data = Path.Combine(Dir, "data.h5");
        using (var file = Formats.Hdf5.H5File.Create(data))
        {
            file.CreateDataset("X_valid", torch.rand(3, 20, 20, 1).mul(255f)).Dispose();
            file.Commit();
        }
        var h5 = Run("predict", "--model", checkpoint, "--images", data, "--out", Path.Combine(Dir, "pred.h5"), "--probabilities");
        Assert.True(h5.Code == 0, h5.Err);
        // ...these are not, and predicting them would give nothing: refused, naming both scales.
        var scaled = Path.Combine(Dir, "scaled.h5");
        using (var file = Formats.Hdf5.H5File.Create(scaled))
        {
            file.CreateDataset("X_valid", torch.rand(3, 20, 20, 1)).Dispose();
            file.Commit();
        }
        var refused = Run("predict", "--model", checkpoint, "--images", scaled, "--out", Path.Combine(Dir, "never.h5"));
        Assert.Equal(1, refused.Code);
        Assert.Contains("the model expects raw intensities in 0..255", refused.Err);
        Assert.False(File.Exists(Path.Combine(Dir, "never.h5")));
        using (var file = Formats.Hdf5.H5File.Open(Path.Combine(Dir, "pred.h5")))
        using (var y = file.Dataset("y_pred")) Assert.Equal([3L, 20, 20, 1], y.Shape);

        var pngs = Directory.CreateDirectory(Path.Combine(Dir, "slices")).FullName;
        foreach (var name in new[] { "a.png", "b.png" })
            new Formats.Png.PngImage(24, 18, 1, Enumerable.Range(0, 24 * 18).Select(i => (ushort)(i % 256)).ToArray()).Save(Path.Combine(pngs, name));
        var folder = Run("predict", "--model", checkpoint, "--images", pngs, "--out", Path.Combine(Dir, "masks"));
        Assert.True(folder.Code == 0, folder.Err);
        var mask = Formats.Png.PngImage.Load(Path.Combine(Dir, "masks", "b.png"));
        Assert.Equal((24, 18), (mask.Width, mask.Height));
        Assert.All(mask.Samples, v => Assert.True(v is 0 or 255));
    }

    [Fact]
    public void Bad_input_is_a_one_line_error_and_a_nonzero_exit()
    {
        var missing = Run("train", "--data", Path.Combine(Dir, "missing.h5"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("missing.h5", missing.Err);
        var notData = Path.Combine(Dir, "empty.h5");
        using (var file = Formats.Hdf5.H5File.Create(notData))
        {
            file.CreateDataset<float>("other", [1f], [1]).Dispose();
            file.Commit();
        }
        var wrong = Run("train", "--data", notData);
        Assert.Equal(1, wrong.Code);
        Assert.Contains("X_train", wrong.Err);
        var precision = Run("train", "--data", notData, "--precision", "low");
        Assert.NotEqual(0, precision.Code);
        Assert.Contains("low", precision.Err);
        var model = Path.Combine(Dir, "model.onnx");
        File.WriteAllText(model, "not a model");
        var predict = Run("predict", "--model", model, "--images", SharedData.CovidSemiSeg("train_im.nii.gz"), "--out", Path.Combine(Dir, "p.nii.gz"));
        Assert.Equal(1, predict.Code);
        Assert.Contains("model.onnx", predict.Err);
        Assert.False(File.Exists(Path.Combine(Dir, "p.nii.gz")));
    }

}
