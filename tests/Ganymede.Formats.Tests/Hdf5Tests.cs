using Ganymede.Tests;
using Ganymede.Formats.Hdf5;

namespace Ganymede.Formats.Tests;

public class Hdf5Tests : TempDirectoryTest
{
    private string PathOf(string name) => Path.Combine(Dir, name);

    [Fact]
    public void Round_trips_every_type_with_groups_chunks_and_attributes()
    {
        var path = PathOf("all.h5");
        using (var file = H5File.Create(path))
        {
            using var group = file.CreateGroup("data");
            group.CreateDataset<float>("f32", [1.5f, -2, 3, 4, 5, 6], [2, 3], chunks: [1, 3], gzip: 4).Dispose();
            group.CreateDataset<double>("f64", [1e-300, 2], [2]).Dispose();
            group.CreateDataset<sbyte>("i8", [-128, 127], [2]).Dispose();
            group.CreateDataset<short>("i16", [-3, 300], [2]).Dispose();
            group.CreateDataset<int>("i32", [int.MinValue, 7], [2]).Dispose();
            group.CreateDataset<long>("i64", [long.MaxValue, -1], [2]).Dispose();
            group.CreateDataset<byte>("u8", [0, 255], [2]).Dispose();
            group.CreateDataset<ushort>("u16", [65535, 1], [2]).Dispose();
            group.CreateDataset<uint>("u32", [uint.MaxValue, 2], [2]).Dispose();
            group.CreateDataset<ulong>("u64", [ulong.MaxValue, 3], [2]).Dispose();
            group.CreateDataset<bool>("mask", [true, false, true], [3]).Dispose();
            group.SetAttribute("name", "CT slices ü");
            group.SetAttribute("count", 42L);
            group.SetAttribute("scale", 0.25);
            group.SetAttribute("indices", new long[] { 3, 1, 4 });
            group.SetAttribute("none", Array.Empty<long>());
            group.SetAttribute("no_values", Array.Empty<double>());
            file.Commit();
        }
        using var back = H5File.Open(path);
        Assert.Equal(["data"], back.Keys);
        using var g = back.Group("data");
        Assert.Equal(11, g.Keys.Count);
        using (var f32 = g.Dataset("f32"))
        {
            Assert.Equal([2L, 3], f32.Shape);
            Assert.Equal(H5Type.Float32, f32.Type);
            Assert.Equal([1.5f, -2, 3, 4, 5, 6], f32.Read<float>());
            Assert.Equal([4f, 5, 6], f32.Read<float>([1], [1]));
            var tensor = f32.ReadTensor();
            Assert.Equal([2, 3], tensor.shape);
            Assert.Equal([1.5f, -2, 3, 4, 5, 6], tensor.ToArray());
        }
        using (var d = g.Dataset("i64")) Assert.Equal([long.MaxValue, -1], d.Read<long>());
        using (var d = g.Dataset("u64")) Assert.Equal([ulong.MaxValue, 3UL], d.Read<ulong>());
        using (var d = g.Dataset("i8")) Assert.Equal([-128f, 127], d.Read<float>());
        using (var d = g.Dataset("mask"))
        {
            Assert.Equal(H5Type.Bool, d.Type);
            Assert.Equal([true, false, true], d.Read<bool>());
            Assert.Equal([1f, 0, 1], d.Read<float>());
        }
        Assert.Equal("CT slices ü", g.GetAttribute("name"));
        Assert.Equal(42L, g.GetAttribute("count"));
        Assert.Equal(0.25, g.GetAttribute("scale"));
        Assert.Equal(new long[] { 3, 1, 4 }, g.GetAttribute("indices"));
        Assert.Equal(Array.Empty<long>(), g.GetAttribute("none"));
        Assert.Equal(Array.Empty<double>(), g.GetAttribute("no_values"));
        Assert.Equal(["count", "indices", "name", "no_values", "none", "scale"], g.AttributeNames.Order());
    }

    [Fact]
    public void Files_written_here_read_correctly_in_h5py()
    {
        var path = PathOf("ours.h5");
        using (var file = H5File.Create(path))
        {
            file.CreateDataset<float>("X_train", Enumerable.Range(0, 2 * 4 * 4).Select(i => i / 31f).ToArray(), [2, 4, 4, 1], gzip: 6).Dispose();
            file.CreateDataset<bool>("flags", [true, false], [2]).Dispose();
            file.SetAttribute("slices", new long[] { 7, 9 });
            file.SetAttribute("description", "packed by ganymede");
            file.Commit();
        }
        var output = Peers.Python($"import h5py, numpy as np; f = h5py.File('{path}', 'r'); x = f['X_train']; print(x.shape, x.dtype, x.compression, round(float(x[1, 3, 2, 0]), 5), f['flags'].dtype, list(f['flags'][:]), list(f.attrs['slices']), f.attrs['description'])");
        Assert.Equal($"(2, 4, 4, 1) float32 gzip {Math.Round(30 / 31f, 5)} bool [True, False] [7, 9] packed by ganymede", output);
    }

    [Fact]
    public void Files_written_by_h5py_read_correctly_here()
    {
        var path = PathOf("theirs.h5");
        Peers.Python($"import h5py, numpy as np; f = h5py.File('{path}', 'w'); f.create_dataset('X_valid', data=np.arange(24, dtype=np.float32).reshape(2, 3, 4, 1), chunks=(1, 3, 4, 1), compression='gzip'); " +
               "f.create_dataset('y_valid', data=np.array([[0, 1], [1, 1]], dtype=np.uint8)); f.create_dataset('b', data=np.array([True, False])); " +
               "g = f.create_group('meta'); g.attrs['split'] = 'valid'; g.attrs['seed'] = 3; g.attrs['fixed'] = np.bytes_('ascii'); g.attrs['w'] = np.array([0.5, 1.5]); f.close(); print('ok')");
        using var file = H5File.Open(path);
        Assert.Equal(["X_valid", "b", "meta", "y_valid"], file.Keys);
        using (var x = file.Dataset("X_valid"))
        {
            Assert.Equal([2L, 3, 4, 1], x.Shape);
            Assert.Equal(Enumerable.Range(12, 12).Select(i => (float)i).ToArray(), x.Read<float>([1]));
        }
        using (var y = file.Dataset("y_valid")) Assert.Equal([0f, 1, 1, 1], y.Read<float>());
        using (var b = file.Dataset("b")) Assert.Equal([true, false], b.Read<bool>());
        using var meta = file.Group("meta");
        Assert.Equal("valid", meta.GetAttribute("split"));
        Assert.Equal(3L, meta.GetAttribute("seed"));
        Assert.Equal("ascii", meta.GetAttribute("fixed"));
        Assert.Equal(new[] { 0.5, 1.5 }, meta.GetAttribute("w"));
    }

    [Fact]
    public void Corrupt_truncated_and_missing_inputs_are_clear_errors()
    {
        var good = PathOf("good.h5");
        using (var file = H5File.Create(good))
        {
            file.CreateDataset<float>("x", new float[50000], [50000]).Dispose();
            file.Commit();
        }
        var truncated = PathOf("truncated.h5");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good)[..3000]);
        var ex = Assert.ThrowsAny<IOException>(() =>
        {
            using var f = H5File.Open(truncated);
            using var d = f.Dataset("x");
            d.Read<float>();
        });
        Assert.Contains("truncated.h5", ex.Message);

        var text = PathOf("text.h5");
        File.WriteAllText(text, "not hdf5 at all");
        Assert.Contains("text.h5", Assert.Throws<H5Exception>(() => H5File.Open(text)).Message);
        Assert.Throws<FileNotFoundException>(() => H5File.Open(PathOf("missing.h5")));
        using var ok = H5File.Open(good);
        Assert.Contains("no such group or dataset", Assert.Throws<KeyNotFoundException>(() => ok.Dataset("nope/deeper")).Message);
        using var x = ok.Dataset("x");
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Read<float>([49999], [2]));
    }

    [Fact]
    public void An_uncommitted_file_leaves_nothing_behind_and_the_old_file_intact()
    {
        var path = PathOf("model.h5");
        using (var file = H5File.Create(path))
        {
            file.CreateDataset<float>("v", [1f], [1]).Dispose();
            file.Commit();
        }
        try
        {
            using var file = H5File.Create(path);
            file.CreateDataset<float>("v", [2f, 3f], [2]).Dispose();
            throw new InvalidOperationException("crash before commit");
        }
        catch (InvalidOperationException)
        {
        }
        Assert.Equal(["model.h5"], Directory.GetFiles(Dir).Select(Path.GetFileName));
        using var back = H5File.Open(path);
        using var v = back.Dataset("v");
        Assert.Equal([1f], v.Read<float>());
    }

    [Fact]
    public void A_process_started_while_a_file_is_written_does_not_lock_it_afterwards()
    {
        // libhdf5 opens files without close-on-exec: a child started meanwhile inherits the descriptor (the server
        // starts jobs while it writes datasets). With HDF5's file locking, the child then held the lock on the
        // committed file and opening it failed as "used by another process".
        var path = PathOf("written.h5");
        using var file = H5File.Create(path);
        using var startedMeanwhile = System.Diagnostics.Process.Start("sleep", "60");
        try
        {
            file.CreateDataset<float>("v", [1f], [1]).Dispose();
            file.Commit();
            File.Copy(path, PathOf("copy.h5"));
            using var again = H5File.Open(path, writable: true);
            using var v = again.Dataset("v");
            Assert.Equal([1f], v.Read<float>());
        }
        finally
        {
            startedMeanwhile.Kill();
        }
    }
}
