using Ganymede.Tests;
using Ganymede.Formats.Datasets;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Nifti;

namespace Ganymede.Formats.Tests;

public class PackingTests : TempDirectoryTest
{
    [Fact]
    public void Packs_the_ct_slices_as_an_independent_numpy_computation_says()
    {
        var images = NiftiImage.Load(SharedData.CovidSemiSeg("train_im.nii.gz")).Data;
        var masks = NiftiImage.Load(SharedData.CovidSemiSeg("train_mask.nii.gz")).Data;
        var path = Path.Combine(Dir, "covid.h5");
        var summary = SegmentationPacker.Pack(images, masks, path, new PackOptions(Size: 512, Valid: 0.2, Test: 0.1, Seed: 3, Crop: SliceCrop.None), "test");
        Assert.Equal(35, summary.Splits["train"]);
        Assert.Equal(10, summary.Splits["valid"]);
        Assert.Equal(5, summary.Splits["test"]);
        // At the native size no resizing happens: X = slice / 255 and y = label > 0, slice k being volume[:, :, k].T.
        var check = Peers.Python(
            "import h5py, nibabel as nib, numpy as np\n" +
            $"im = np.asarray(nib.load('{SharedData.CovidSemiSeg("train_im.nii.gz")}').dataobj).astype(np.float32); m = np.asarray(nib.load('{SharedData.CovidSemiSeg("train_mask.nii.gz")}').dataobj)\n" +
            $"f = h5py.File('{path}', 'r'); ok = True; seen = []\n" +
            "for split in ['train', 'valid', 'test']:\n" +
            "    x = f['X_' + split]; y = f['y_' + split]; idx = list(x.attrs['slices']); seen += idx\n" +
            "    ok &= x.shape == (len(idx), 512, 512, 1) and y.shape == x.shape and x.dtype == np.float32\n" +
            "    for j, k in enumerate(idx):\n" +
            "        ok &= np.allclose(x[j, :, :, 0], im[:, :, k].T / 255.0, atol=1e-6) and np.array_equal(y[j, :, :, 0], (m[:, :, k].T > 0).astype(np.float32))\n" +
            "print(ok, sorted(seen) == list(range(50)))");
        Assert.Equal("True True", check);
    }

    [Fact]
    public void The_split_is_reproducible_from_the_seed_and_multiclass_has_a_channel_per_label()
    {
        var images = torch.rand(20, 16, 16);
        var masks = torch.rand(20, 16, 16).mul(3).ToArray().Select(MathF.Floor).ToArray();
        var labels = torch.tensor(masks, 20, 16, 16);
        string Split(ulong seed, string name)
        {
            SegmentationPacker.Pack(images, labels, Path.Combine(Dir, name), new PackOptions(Size: 8, Valid: 0.25, Seed: seed, Classes: MaskClasses.Multiclass), "test");
            using var file = H5File.Open(Path.Combine(Dir, name));
            using var y = file.Dataset("y_valid");
            Assert.Equal([5L, 8, 8, 2], y.Shape);
            return string.Join(",", (long[])y.GetAttribute("slices"));
        }
        Assert.Equal(Split(1, "a.h5"), Split(1, "b.h5"));
        Assert.NotEqual(Split(1, "c.h5"), Split(2, "d.h5"));
    }

    [Fact]
    public void Bad_input_is_an_error_before_anything_is_written()
    {
        var path = Path.Combine(Dir, "never.h5");
        void Fails(Tensor images, Tensor masks, PackOptions options, string expected)
        {
            var ex = Assert.Throws<ArgumentException>(() => SegmentationPacker.Pack(images, masks, path, options, "input.nii"));
            Assert.Contains(expected, ex.Message);
            Assert.Empty(Directory.GetFiles(Dir));
        }
        Fails(torch.rand(3, 8, 8), torch.zeros(2, 8, 8), new PackOptions(Size: 8), "differ");
        Fails(torch.rand(3, 8, 8), torch.full([3, 8, 8], 0.5f), new PackOptions(Size: 8), "not a label");
        Fails(torch.zeros(3, 8, 8), torch.zeros(3, 8, 8), new PackOptions(Size: 8), "empty");
        Fails(torch.rand(3, 8, 8), torch.zeros(3, 8, 8), new PackOptions(Size: 8, Valid: 0.6, Test: 0.5), "leave slices for training");
        Fails(torch.rand(0, 8, 8), torch.zeros(0, 8, 8), new PackOptions(Size: 8), "N > 0");
    }

    [Fact]
    public void Hounsfield_volumes_get_the_lung_window()
    {
        var hu = torch.rand(4, 8, 8).mul(2000).sub(1024);
        var path = Path.Combine(Dir, "hu.h5");
        var summary = SegmentationPacker.Pack(hu, torch.zeros(4, 8, 8), path, new PackOptions(Size: 8, Valid: 0.25), "ct.nii");
        Assert.Equal("lung", summary.Window);
        using var file = H5File.Open(path);
        Assert.Equal(new double[] { SegmentationPacker.LungLow, SegmentationPacker.LungHigh }, file.GetAttribute("intensity_range"));
    }

    [Fact]
    public void Folders_of_png_slices_and_masks_pack_by_matching_names()
    {
        var images = Directory.CreateDirectory(Path.Combine(Dir, "images")).FullName;
        var masks = Directory.CreateDirectory(Path.Combine(Dir, "masks")).FullName;
        for (int i = 0; i < 4; i++)
        {
            new Ganymede.Formats.Png.PngImage(6, 4, 1, Enumerable.Range(0, 24).Select(v => (ushort)(v * 10 + i)).ToArray()).Save(Path.Combine(images, $"slice{i}.png"));
            new Ganymede.Formats.Png.PngImage(6, 4, 1, Enumerable.Range(0, 24).Select(v => (ushort)(v % 5 == 0 ? 1 : 0)).ToArray()).Save(Path.Combine(masks, $"slice{i}.png"));
        }
        var (x, y) = SliceSource.LoadPair(images, masks);
        Assert.Equal([4, 4, 6], x.shape);
        Assert.Equal(3f, x.select(0, 3).ToArray()[0]);
        var summary = SegmentationPacker.Pack(x, y, Path.Combine(Dir, "png.h5"), new PackOptions(Size: 8, Valid: 0.25), images);
        Assert.Equal(3, summary.Splits["train"]);

        File.Move(Path.Combine(masks, "slice3.png"), Path.Combine(masks, "other.png"));
        Assert.Contains("do not match", Assert.Throws<ArgumentException>(() => SliceSource.LoadPair(images, masks)).Message);
    }

    [Fact]
    public void Listed_test_slices_are_held_out_and_the_rest_splits_as_before()
    {
        var images = torch.rand(12, 16, 16);
        var path = Path.Combine(Dir, "listed.h5");
        var summary = SegmentationPacker.Pack(images, torch.zeros(12, 16, 16), path, new PackOptions(Size: 16, Valid: 0.2, TestSlices: [3, 7]), "ct.nii.gz");
        Assert.Equal(2, summary.Splits["test"]);
        using var file = H5File.Open(path);
        using var test = file.Dataset("X_test");
        Assert.Equal(new long[] { 3, 7 }, test.GetAttribute("slices"));
        Assert.Equal(["ct.nii.gz:3", "ct.nii.gz:7"], PackInfo.Read(file)!.SliceIds(test));
        using var train = file.Dataset("X_train");
        Assert.DoesNotContain(3L, (long[])train.GetAttribute("slices"));
    }

    [Fact]
    public void Several_volumes_split_by_whole_volume()
    {
        var volumes = Enumerable.Range(0, 4).Select(i => new PackVolume($"patient{i}.nii.gz", torch.rand(5, 16, 16), torch.zeros(5, 16, 16))).ToList();
        var path = Path.Combine(Dir, "patients.h5");
        var summary = SegmentationPacker.Pack(volumes, path, new PackOptions(Size: 16, Valid: 0.25, Test: 0.25));
        Assert.Equal((10, 5, 5), (summary.Splits["train"], summary.Splits["valid"], summary.Splits["test"]));
        using var file = H5File.Open(path);
        var owners = new[] { "train", "valid", "test" }.Select(s =>
        {
            using var d = file.Dataset("X_" + s);
            return ((long[])d.GetAttribute("volumes")).Distinct().ToArray();
        }).ToArray();
        Assert.Equal(2, owners[0].Length);
        Assert.Single(owners[1]);
        Assert.Single(owners[2]);
        Assert.Empty(owners[0].Intersect(owners[1]).Concat(owners[0].Intersect(owners[2])).Concat(owners[1].Intersect(owners[2])));
    }

    [Fact]
    public void A_mask_volume_with_many_values_is_taken_for_an_image()
    {
        var ct = torch.rand(3, 16, 16).mul(255).ToArray().Select(MathF.Floor).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => SegmentationPacker.Pack(torch.rand(3, 16, 16), torch.tensor(ct, 3, 16, 16), Path.Combine(Dir, "x.h5"), new PackOptions(Size: 16), "ct.nii.gz"));
        Assert.Contains("is this the image volume given as masks?", ex.Message);
    }
}
