using Ganymede.Tests;
using Ganymede.Formats.Png;

namespace Ganymede.Formats.Tests;

public class PngTests : TempDirectoryTest
{
    [Theory]
    [InlineData(1, 8)]
    [InlineData(2, 8)]
    [InlineData(3, 8)]
    [InlineData(4, 8)]
    [InlineData(1, 16)]
    [InlineData(3, 16)]
    public void Round_trips_every_channel_layout(int channels, int depth)
    {
        var random = new Random(channels * 10 + depth);
        int max = depth == 16 ? 65535 : 255;
        var samples = Enumerable.Range(0, 7 * 5 * channels).Select(_ => (ushort)random.Next(max + 1)).ToArray();
        var image = new PngImage(7, 5, channels, samples, depth);
        var back = PngImage.Decode(image.Encode(), "round-trip.png");
        Assert.Equal((7, 5, channels, depth), (back.Width, back.Height, back.Channels, back.BitDepth));
        Assert.Equal(samples, back.Samples);
    }

    [Fact]
    public void Pillow_reads_what_we_write_and_we_read_what_it_writes()
    {
        var grey = Path.Combine(Dir, "grey.png");
        new PngImage(3, 2, 1, [0, 10, 20, 30, 40, 255]).Save(grey);
        var rgba = Path.Combine(Dir, "rgba.png");
        new PngImage(2, 1, 4, [1, 2, 3, 4, 250, 251, 252, 253]).Save(rgba);
        var palette = Path.Combine(Dir, "palette.png");
        File.WriteAllBytes(palette, PngImage.EncodePalette([0, 1, 1, 0], 2, 2, [0, 0, 0, 255, 0, 0]));
        Assert.Equal("L [0, 10, 20, 30, 40, 255] RGBA [(1, 2, 3, 4), (250, 251, 252, 253)] P [(0, 0, 0), (255, 0, 0), (255, 0, 0), (0, 0, 0)]", Peers.Python(
            $"from PIL import Image; a = Image.open('{grey}'); b = Image.open('{rgba}'); c = Image.open('{palette}')\n" +
            "print(a.mode, list(a.getdata()), b.mode, list(b.getdata()), c.mode, list(c.convert('RGB').getdata()))"));

        var theirs = Path.Combine(Dir, "theirs");
        Peers.Python(
            "from PIL import Image; import numpy as np\n" +
            "g = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5\n" +
            $"Image.fromarray(g, 'L').save('{theirs}-l.png'); Image.fromarray(np.stack([g, 255 - g, g // 2], -1), 'RGB').save('{theirs}-rgb.png')\n" +
            $"p = Image.fromarray((g > 100).astype(np.uint8), 'P'); p.putpalette([0, 0, 0, 0, 255, 0]); p.save('{theirs}-p.png')\n" +
            $"Image.fromarray(g > 100).save('{theirs}-1.png'); Image.fromarray(g.astype(np.uint16) * 257).save('{theirs}-16.png'); print('ok')");
        var l = PngImage.Load($"{theirs}-l.png");
        Assert.Equal(Enumerable.Range(0, 48).Select(i => (ushort)(i * 5)), l.Samples);
        var rgb = PngImage.Load($"{theirs}-rgb.png");
        Assert.Equal(((ushort)35, (ushort)220, (ushort)17), (rgb.Samples[21], rgb.Samples[22], rgb.Samples[23]));
        var p = PngImage.Load($"{theirs}-p.png");
        Assert.Equal(3, p.Channels);
        Assert.Equal((ushort)255, p.Samples[21 * 3 + 1]);
        var bits = PngImage.Load($"{theirs}-1.png");
        Assert.Equal(Enumerable.Range(0, 48).Select(i => (ushort)(i * 5 > 100 ? 255 : 0)), bits.Samples);
        Assert.Equal(16, PngImage.Load($"{theirs}-16.png").BitDepth);
        Assert.Equal([1, 6, 8], l.ToTensor().shape);
    }

    [Fact]
    public void Malformed_files_are_clear_errors()
    {
        var good = new PngImage(4, 4, 1, Enumerable.Range(0, 16).Select(i => (ushort)i).ToArray()).Encode();
        var badCrc = (byte[])good.Clone();
        badCrc[20] ^= 0xFF;
        Assert.Contains("bad CRC", Assert.Throws<InvalidDataException>(() => PngImage.Decode(badCrc, "crc.png")).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => PngImage.Decode(good[..40], "short.png")).Message);
        Assert.Contains("signature", Assert.Throws<InvalidDataException>(() => PngImage.Decode([1, 2, 3], "x.png")).Message);
    }

    [Fact]
    public void Thousands_of_mutated_files_give_clean_errors()
    {
        var good = new PngImage(9, 7, 3, Enumerable.Range(0, 189).Select(i => (ushort)(i % 256)).ToArray()).Encode();
        var random = new Random(2);
        for (int i = 0; i < 3000; i++)
        {
            var mutated = (byte[])good.Clone();
            for (int e = random.Next(1, 4); e > 0; e--) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            if (random.Next(3) == 0) mutated = mutated[..random.Next(mutated.Length)];
            // Mutations that keep every CRC valid are impossible by chance, so corruption must be caught; fixing
            // CRCs too exercises the decoder's own checks.
            if (random.Next(2) == 0) FixCrcs(mutated);
            try
            {
                PngImage.Decode(mutated, "fuzz.png");
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains("fuzz.png", ex.Message);
            }
        }
    }

    private static void FixCrcs(byte[] png)
    {
        int pos = 8;
        while (pos + 12 <= png.Length)
        {
            int length = (png[pos] << 24) | (png[pos + 1] << 16) | (png[pos + 2] << 8) | png[pos + 3];
            if (length < 0 || pos + 12L + length > png.Length) return;
            var crc = Crc(png.AsSpan(pos + 4, length + 4));
            png[pos + 8 + length] = (byte)(crc >> 24);
            png[pos + 9 + length] = (byte)(crc >> 16);
            png[pos + 10 + length] = (byte)(crc >> 8);
            png[pos + 11 + length] = (byte)crc;
            pos += 12 + length;
        }
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }
}
