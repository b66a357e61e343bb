using Ganymede.Tests;
using System.IO.Compression;
using Ganymede.Formats.Nifti;

namespace Ganymede.Formats.Tests;

public class NiftiTests : TempDirectoryTest
{
    [Theory]
    [InlineData(NiftiDataType.UInt8, "a.nii")]
    [InlineData(NiftiDataType.Int16, "b.nii.gz")]
    [InlineData(NiftiDataType.Int32, "c.nii")]
    [InlineData(NiftiDataType.Float32, "d.nii.gz")]
    [InlineData(NiftiDataType.Float64, "e.nii")]
    public void Round_trips_values_and_geometry(NiftiDataType type, string name)
    {
        var header = new NiftiHeader { Dims = [5, 4, 3], DataType = type, SformCode = 1, SRow = [[0.7f, 0, 0, -10], [0, 0.8f, 0, 5], [0, 0, 2.5f, 1]] };
        var values = Enumerable.Range(0, 60).Select(i => (float)(i * 3 % 17)).ToArray();
        var path = Path.Combine(Dir, name);
        new NiftiImage(header, torch.tensor(values, 3, 4, 5)).Save(path);
        var back = NiftiImage.Load(path);
        Assert.Equal([5, 4, 3], back.Header.Dims);
        Assert.Equal(type, back.Header.DataType);
        Assert.Equal(values, back.Data.ToArray());
        Assert.Equal(-10, back.Header.Affine()[0, 3], 5);
        Assert.Equal(2.5, back.Header.Affine()[2, 2], 5);
    }

    [Fact]
    public void Reads_the_shared_ct_volume_as_nibabel_does()
    {
        var image = NiftiImage.Load(SharedData.CovidSemiSeg("train_im.nii.gz"));
        Assert.Equal([512, 512, 50], image.Header.Dims);
        Assert.Equal([50, 512, 512], image.Data.shape);
        var expected = Peers.Python($"import nibabel as nib, numpy as np; v = np.asarray(nib.load('{SharedData.CovidSemiSeg("train_im.nii.gz")}').dataobj); print(float(v.sum()), float(v[:, :, 7].T[300, 200]), float(v[100, 310, 3]))")
            .Split(' ').Select(double.Parse).ToArray();
        Assert.Equal(expected[0], image.Data.sum().item(), expected[0] * 1e-6);
        Assert.Equal(expected[1], image.Slice(7).ToArray()[300 * 512 + 200]);
        Assert.Equal(expected[2], image.Data.ToArray()[(3 * 512 + 310) * 512 + 100]);
    }

    [Fact]
    public void Files_written_here_load_in_nibabel_with_the_same_values_and_affine()
    {
        var source = NiftiImage.Load(SharedData.CovidSemiSeg("train_mask.nii.gz"));
        var path = Path.Combine(Dir, "mask.nii.gz");
        var header = source.Header;
        header.SformCode = 2;
        header.SRow = [[0.75f, 0, 0, 12], [0, -0.75f, 0, 30], [0, 0, 5, -3]];
        new NiftiImage(header, source.Data).Save(path, NiftiDataType.UInt8);
        var output = Peers.Python($"import nibabel as nib, numpy as np; m = nib.load('{path}'); v = np.asarray(m.dataobj); print(v.dtype, v.shape, int(v.sum()), int((v > 0).sum()), m.affine[1, 1], m.affine[0, 3], m.affine[2, 2])");
        Assert.Equal($"uint8 (512, 512, 50) {source.Data.sum().item():F0} {source.Data.gt(0).@float().sum().item():F0} -0.75 12.0 5.0", output);
    }

    [Fact]
    public void Volumes_written_by_nibabel_read_with_scaling_qform_and_values()
    {
        var path = Path.Combine(Dir, "nib.nii.gz");
        Peers.Python(
            "import nibabel as nib, numpy as np\n" +
            "v = (np.arange(4 * 3 * 2, dtype=np.int16).reshape(4, 3, 2) - 5) * 100\n" +
            "img = nib.Nifti1Image(v, np.diag([0.5, 0.7, 2.0, 1.0])); img.header.set_slope_inter(0.5, -1024)\n" +
            "q = np.array([[0, -0.5, 0, 10], [0.7, 0, 0, -4], [0, 0, 2, 3], [0, 0, 0, 1]]); img.set_qform(q, 1); img.set_sform(None, 0)\n" +
            $"nib.save(img, '{path}'); print('ok')");
        var image = NiftiImage.Load(path);
        Assert.Equal([4, 3, 2], image.Header.Dims);
        Assert.Equal(NiftiDataType.Int16, image.Header.DataType);
        // nibabel's array [x, y, z] is our [z, y, x]; stored values are scaled: raw·0.5 − 1024.
        Assert.Equal((((1 * 3 + 2) * 2 + 1) - 5) * 100 * 0.5f - 1024, image.Data.ToArray()[(1 * 3 + 2) * 4 + 1]);
        var affine = image.Header.Affine();
        Assert.Equal(-0.5, affine[0, 1], 4);
        Assert.Equal(0.7, affine[1, 0], 4);
        Assert.Equal(10, affine[0, 3], 4);
    }

    [Fact]
    public void Bad_files_are_clear_errors_that_name_the_file()
    {
        var good = Path.Combine(Dir, "good.nii");
        new NiftiImage(new NiftiHeader { Dims = [4, 4], DataType = NiftiDataType.Float32 }, torch.zeros(4, 4)).Save(good);
        var bytes = File.ReadAllBytes(good);

        var wrongMagic = (byte[])bytes.Clone();
        wrongMagic[344] = (byte)'x';
        var ex = Assert.Throws<InvalidDataException>(() => NiftiImage.Parse(wrongMagic, "wrong-magic.nii"));
        Assert.Contains("wrong-magic.nii", ex.Message);
        Assert.Contains("magic", ex.Message);

        var badDims = (byte[])bytes.Clone();
        badDims[42] = 0;
        badDims[43] = 0;
        Assert.Contains("impossible dimensions", Assert.Throws<InvalidDataException>(() => NiftiImage.Parse(badDims, "dims.nii")).Message);

        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => NiftiImage.Parse(bytes[..^10], "short.nii")).Message);
        Assert.Contains("348", Assert.Throws<InvalidDataException>(() => NiftiImage.Parse(bytes[..100], "tiny.nii")).Message);

        var corruptGz = Path.Combine(Dir, "corrupt.nii.gz");
        File.WriteAllBytes(corruptGz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        Assert.Contains("corrupt.nii.gz", Assert.ThrowsAny<Exception>(() => NiftiImage.Load(corruptGz)).Message);
    }

    [Fact]
    public void Thousands_of_mutated_files_give_clean_errors()
    {
        var good = Path.Combine(Dir, "fuzz.nii");
        new NiftiImage(new NiftiHeader { Dims = [6, 5, 2], DataType = NiftiDataType.Int16 }, torch.ones(2, 5, 6)).Save(good);
        var bytes = File.ReadAllBytes(good);
        var random = new Random(1);
        for (int i = 0; i < 3000; i++)
        {
            var mutated = (byte[])bytes.Clone();
            int edits = random.Next(1, 6);
            for (int e = 0; e < edits; e++) mutated[random.Next(random.Next(2) == 0 ? 352 : mutated.Length)] = (byte)random.Next(256);
            if (random.Next(4) == 0) mutated = mutated[..random.Next(mutated.Length)];
            try
            {
                NiftiImage.Parse(mutated, "fuzz.nii");
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains("fuzz.nii", ex.Message);
            }
        }
    }
}
