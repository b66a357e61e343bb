using System.Buffers.Binary;
using System.IO.Compression;
using Ganymede.IO;

namespace Ganymede.Formats.Png;

/// <summary>
/// A decoded PNG: width × height pixels of 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) channels, samples
/// interleaved row by row. Palette images decode to RGB(A). Samples are 0..255, or 0..65535 for 16-bit files.
/// </summary>
public sealed class PngImage
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];

    public PngImage(int width, int height, int channels, ushort[] samples, int bitDepth = 8)
    {
        if (width <= 0 || height <= 0 || channels is < 1 or > 4 || bitDepth is not (8 or 16))
            throw new ArgumentException($"PNG: invalid image {width}x{height}, {channels} channels, {bitDepth} bits");
        if (samples.Length != (long)width * height * channels)
            throw new ArgumentException($"PNG: {samples.Length} samples do not fill {width}x{height}x{channels}");
        (Width, Height, Channels, Samples, BitDepth) = (width, height, channels, samples, bitDepth);
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public int BitDepth { get; }
    public ushort[] Samples { get; }

    /// <summary>Samples as a float tensor [channels, height, width] (channels first, as the engine's images).</summary>
    public Tensor ToTensor() =>
        torch.tensor(Samples.Select(v => (float)v).ToArray(), Height, Width, Channels).permute(2, 0, 1).contiguous();

    /// <summary>An 8-bit image from a [C, H, W] or [H, W] tensor of values 0..255 (rounded and clamped).</summary>
    public static PngImage FromTensor(Tensor image)
    {
        var chw = image.dim() == 2 ? image.unsqueeze(0) : image;
        if (chw.dim() != 3 || chw.size(0) is < 1 or > 4)
            throw new ShapeException($"PNG: expects [H, W] or [C, H, W] with 1 to 4 channels, got [{string.Join(", ", image.shape)}]");
        var samples = chw.permute(1, 2, 0).contiguous().ToArray().Select(v => (ushort)Math.Clamp(MathF.Round(v), 0, 255)).ToArray();
        return new PngImage(chw.size(2), chw.size(1), chw.size(0), samples);
    }

    public static PngImage Load(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>Decodes a PNG; malformed input (bad signature or CRC, truncated or missing chunks, bad data) is an error naming <paramref name="name"/>.</summary>
    public static PngImage Decode(byte[] bytes, string name)
    {
        if (bytes.Length < 8 || !bytes.AsSpan(0, 8).SequenceEqual(Signature)) throw Bad(name, "not a PNG file (wrong signature)");
        int pos = 8, width = 0, height = 0, depth = 0, colorType = -1;
        byte[]? palette = null, transparency = null;
        using var idat = new MemoryStream();
        bool ended = false;
        while (!ended)
        {
            if (pos + 12 > bytes.Length) throw Bad(name, "truncated: a chunk header runs past the end of the file");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos));
            if (length > int.MaxValue || pos + 12 + length > bytes.Length) throw Bad(name, $"truncated: chunk of {length} bytes runs past the end of the file");
            var type = System.Text.Encoding.ASCII.GetString(bytes, pos + 4, 4);
            var data = bytes.AsSpan(pos + 8, (int)length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos + 8 + (int)length));
            if (Crc32.Compute(bytes.AsSpan(pos + 4, (int)length + 4)) != crc) throw Bad(name, $"bad CRC in chunk '{type}'");
            switch (type)
            {
                case "IHDR":
                    if (length != 13) throw Bad(name, "IHDR chunk has the wrong length");
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    depth = data[8];
                    colorType = data[9];
                    if (data[10] != 0 || data[11] != 0) throw Bad(name, "unknown compression or filter method");
                    if (data[12] != 0) throw Bad(name, "interlaced (Adam7) PNGs are not supported; save it without interlacing");
                    break;
                case "PLTE": palette = data.ToArray(); break;
                case "tRNS": transparency = data.ToArray(); break;
                case "IDAT": idat.Write(data); break;
                case "IEND": ended = true; break;
            }
            pos += 12 + (int)length;
        }
        if (colorType < 0) throw Bad(name, "missing IHDR chunk");
        if (width <= 0 || height <= 0 || (long)width * height > 1L << 28) throw Bad(name, $"impossible size {width}x{height}");
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw Bad(name, $"unknown color type {colorType}") };
        bool depthOk = colorType switch { 0 => depth is 1 or 2 or 4 or 8 or 16, 3 => depth is 1 or 2 or 4 or 8, _ => depth is 8 or 16 };
        if (!depthOk) throw Bad(name, $"bit depth {depth} is not valid for color type {colorType}");
        if (colorType == 3 && (palette is null || palette.Length % 3 != 0 || palette.Length == 0)) throw Bad(name, "palette image without a valid PLTE chunk");

        int bitsPerPixel = channels * depth, stride = (int)(((long)width * bitsPerPixel + 7) / 8), bpp = Math.Max(1, bitsPerPixel / 8);
        byte[] raw;
        try
        {
            idat.Position = 0;
            using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
            raw = new byte[(long)(stride + 1) * height];
            zlib.ReadExactly(raw);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw Bad(name, $"image data is corrupt or too short: {e.Message}");
        }
        var pixels = Unfilter(raw, stride, height, bpp, name);
        return Expand(pixels, width, height, stride, depth, colorType, channels, palette, transparency, name);
    }

    private static byte[] Unfilter(byte[] raw, int stride, int height, int bpp, string name)
    {
        var output = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            var current = output.AsSpan(y * stride, stride);
            var previous = y > 0 ? output.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (int i = 0; i < stride; i++)
            {
                int left = i >= bpp ? current[i - bpp] : 0, up = previous[i], upLeft = i >= bpp ? previous[i - bpp] : 0;
                current[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw Bad(name, $"unknown filter type {filter} on row {y}"),
                });
            }
        }
        return output;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static PngImage Expand(byte[] pixels, int width, int height, int stride, int depth, int colorType, int channels,
        byte[]? palette, byte[]? transparency, string name)
    {
        if (colorType == 3)
        {
            bool alpha = transparency is { Length: > 0 };
            int outChannels = alpha ? 4 : 3;
            var rgb = new ushort[width * height * outChannels];
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int index = Sample(pixels, y * stride, x, depth);
                    if (index * 3 + 2 >= palette!.Length) throw Bad(name, $"pixel ({x}, {y}) uses palette entry {index}, beyond the {palette.Length / 3} entries");
                    int o = (y * width + x) * outChannels;
                    for (int c = 0; c < 3; c++) rgb[o + c] = palette[index * 3 + c];
                    if (alpha) rgb[o + 3] = index < transparency!.Length ? transparency[index] : (ushort)255;
                }
            return new PngImage(width, height, outChannels, rgb);
        }
        var samples = new ushort[width * height * channels];
        for (int y = 0; y < height; y++)
            for (int i = 0; i < width * channels; i++)
            {
                int v = Sample(pixels, y * stride, i, depth);
                // Sub-byte greys scale up to 8 bits (a 1-bit 1 is white, 255).
                samples[y * width * channels + i] = (ushort)(depth < 8 ? v * 255 / ((1 << depth) - 1) : v);
            }
        return new PngImage(width, height, channels, samples, depth == 16 ? 16 : 8);
    }

    private static int Sample(byte[] pixels, int rowStart, int index, int depth) => depth switch
    {
        16 => (pixels[rowStart + index * 2] << 8) | pixels[rowStart + index * 2 + 1],
        8 => pixels[rowStart + index],
        _ => (pixels[rowStart + index * depth / 8] >> (8 - depth - index * depth % 8)) & ((1 << depth) - 1),
    };

    private static InvalidDataException Bad(string name, string what) => new($"{name}: {what}");

    /// <summary>Encodes as 8-bit (or 16-bit) grey, grey + alpha, RGB or RGBA; each row takes the filter that compresses best.</summary>
    public byte[] Encode()
    {
        int colorType = Channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
        int bytesPerSample = BitDepth / 8, stride = Width * Channels * bytesPerSample, bpp = Channels * bytesPerSample;
        var rows = new byte[Height * stride];
        for (int i = 0; i < Samples.Length; i++)
            if (bytesPerSample == 2) BinaryPrimitives.WriteUInt16BigEndian(rows.AsSpan(i * 2), Samples[i]);
            else rows[i] = (byte)Math.Min(Samples[i], (ushort)255);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = (byte)BitDepth;
        header[9] = (byte)colorType;
        return Write(header, null, Filter(rows, stride, Height, bpp));
    }

    /// <summary>An 8-bit palette image (indices into RGB <paramref name="palette"/>, 3 bytes per entry, at most 256 entries).</summary>
    public static byte[] EncodePalette(byte[] indices, int width, int height, byte[] palette)
    {
        if (palette.Length % 3 != 0 || palette.Length == 0 || palette.Length > 768) throw new ArgumentException("PNG: the palette needs 1 to 256 RGB entries");
        if (indices.Length != width * height) throw new ArgumentException($"PNG: {indices.Length} indices do not fill {width}x{height}");
        if (indices.Any(i => i * 3 >= palette.Length)) throw new ArgumentException("PNG: an index is beyond the palette");
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 3;
        return Write(header, palette, Filter(indices, width, height, 1));
    }

    /// <summary>Writes the PNG atomically (temporary name, then rename).</summary>
    public void Save(string path) => AtomicFile.Write(path, file => file.Write(Encode()));

    private static byte[] Filter(byte[] rows, int stride, int height, int bpp)
    {
        var output = new byte[(stride + 1) * height];
        var candidate = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            var current = rows.AsSpan(y * stride, stride);
            var previous = y > 0 ? rows.AsSpan((y - 1) * stride, stride) : new byte[stride];
            long best = long.MaxValue;
            for (int filter = 0; filter <= 4; filter++)
            {
                long cost = 0;
                for (int i = 0; i < stride; i++)
                {
                    int left = i >= bpp ? current[i - bpp] : 0, up = previous[i], upLeft = i >= bpp ? previous[i - bpp] : 0;
                    candidate[i] = (byte)(current[i] - filter switch { 0 => 0, 1 => left, 2 => up, 3 => (left + up) / 2, _ => Paeth(left, up, upLeft) });
                    cost += (sbyte)candidate[i] < 0 ? -(sbyte)candidate[i] : candidate[i];
                }
                if (cost >= best) continue;
                best = cost;
                output[y * (stride + 1)] = (byte)filter;
                candidate.CopyTo(output, y * (stride + 1) + 1);
            }
        }
        return output;
    }

    private static byte[] Write(byte[] header, byte[]? palette, byte[] filtered)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(filtered);
        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", header);
        if (palette is not null) WriteChunk(png, "PLTE", palette);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(typed, 0);
        data.CopyTo(typed, 4);
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Compute(typed));
        stream.Write(word);
    }
}

/// <summary>CRC-32 (ISO 3309, the polynomial PNG and zlib use).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFF;
    }
}
