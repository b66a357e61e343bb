using Ganymede.Tests;
using System.Text;
using Ganymede.Formats.SafeTensors;

namespace Ganymede.Formats.Tests;

public class SafeTensorsTests : TempDirectoryTest
{
    [Fact]
    public void Round_trips_tensors_and_metadata()
    {
        var path = Path.Combine(Dir, "w.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["down.0.0.weight"] = torch.randn(4, 1, 3, 3),
            ["down.0.1.num_batches_tracked"] = torch.tensor([7L], []),
            ["scalar"] = torch.scalar_tensor(2.5f),
            ["mask"] = torch.tensor([1f, 0, 1]).to(DType.Bool),
        };
        SafeTensorsFile.Save(path, tensors, new Dictionary<string, string> { ["config"] = "{\"base\": 16}" });
        var (back, metadata) = SafeTensorsFile.Load(path);
        Assert.Equal(tensors["down.0.0.weight"].ToArray(), back["down.0.0.weight"].ToArray());
        Assert.Equal([1, 3, 3], back["down.0.0.weight"].shape[1..]);
        Assert.Equal(DType.Int64, back["down.0.1.num_batches_tracked"].dtype);
        Assert.Equal(7, back["down.0.1.num_batches_tracked"].item());
        Assert.Empty(back["scalar"].shape);
        Assert.Equal(DType.Bool, back["mask"].dtype);
        Assert.Equal("{\"base\": 16}", metadata["config"]);
    }

    [Fact]
    public void Files_match_an_independent_reader_and_read_its_files()
    {
        var ours = Path.Combine(Dir, "ours.safetensors");
        SafeTensorsFile.Save(ours, new Dictionary<string, Tensor> { ["a"] = torch.arange(0, 6).reshape(2, 3), ["b"] = torch.tensor([5L, -6]) });
        var check = Peers.Python(
            "import json, struct, numpy as np\n" +
            $"raw = open('{ours}', 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n]); d = raw[8 + n:]\n" +
            "a = np.frombuffer(d[h['a']['data_offsets'][0]:h['a']['data_offsets'][1]], '<f4').reshape(h['a']['shape'])\n" +
            "b = np.frombuffer(d[h['b']['data_offsets'][0]:h['b']['data_offsets'][1]], '<i8')\n" +
            "print(n % 8, h['a']['dtype'], a.tolist(), h['b']['dtype'], b.tolist())");
        Assert.Equal("0 F32 [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] I64 [5, -6]", check);

        var theirs = Path.Combine(Dir, "theirs.safetensors");
        Peers.Python(
            "import json, struct, numpy as np\n" +
            "parts = [('h', np.array([1.5, -2], np.float16).tobytes(), 'F16', [2]), ('bf', (np.array([3.0, 0.25], np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes(), 'BF16', [2]), ('i', np.array([[1, 2]], np.int32).tobytes(), 'I32', [1, 2]), ('m', np.array([True, False]).tobytes(), 'BOOL', [2])]\n" +
            "header = {}; offset = 0; blob = b''\n" +
            "for name, data, dtype, shape in parts:\n    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(data)]}; offset += len(data); blob += data\n" +
            "header['__metadata__'] = {'format': 'pt'}; h = json.dumps(header).encode()\n" +
            $"open('{theirs}', 'wb').write(struct.pack('<Q', len(h)) + h + blob); print('ok')");
        var (tensors, metadata) = SafeTensorsFile.Load(theirs);
        Assert.Equal([1.5f, -2], tensors["h"].ToArray());
        Assert.Equal([3f, 0.25f], tensors["bf"].ToArray());
        Assert.Equal([1L, 2], tensors["i"].ToInt64Array());
        Assert.Equal([1f, 0], tensors["m"].ToArray());
        Assert.Equal("pt", metadata["format"]);
    }

    [Fact]
    public void Metadata_another_writer_kept_as_numbers_reads_as_their_json()
    {
        var path = Path.Combine(Dir, "theirs.safetensors");
        var json = Encoding.UTF8.GetBytes("{\"__metadata__\": {\"epoch\": 31, \"format\": \"pt\"}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json]);
        var (tensors, metadata) = SafeTensorsFile.Load(path);
        Assert.Empty(tensors);
        Assert.Equal(("31", "pt"), (metadata["epoch"], metadata["format"]));
    }

    [Theory]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", "needs 12 bytes")]
    [InlineData("{\"a\": {\"dtype\": \"Q9\", \"shape\": [1], \"data_offsets\": [0, 4]}}", "unsupported dtype")]
    [InlineData("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", "outside")]
    [InlineData("[1, 2", "not a JSON object")]
    [InlineData("{\"__metadata__\": [1, 2]}", "__metadata__ is not an object of texts")]
    public void Malformed_headers_are_clear_errors(string header, string expected)
    {
        var path = Path.Combine(Dir, "bad.safetensors");
        var json = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[8]]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Load(path));
        Assert.Contains("bad.safetensors", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void A_header_length_beyond_the_file_is_rejected_before_allocation()
    {
        var path = Path.Combine(Dir, "huge.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(ulong.MaxValue / 2), 1, 2, 3]);
        Assert.Contains("does not fit", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Load(path)).Message);
    }
}
