using System.Security.Cryptography;
using Ganymede.Formats.Nifti;
using Ganymede.Formats.Png;
using Ganymede.Formats.SafeTensors;
using Ganymede.Kernel.Protocol;
using Ganymede.Onnx.Proto;
using Ganymede.Onnx.Runtime;
using Ganymede.Server;
using Ganymede.Server.Api;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Fuzz;

/// <summary>
/// One fuzz target per parser of untrusted bytes. A target returns normally for any input its code answers with a
/// clear error (the exceptions it catches below are how each parser reports bad input); anything else escaping is a
/// crash: an exception the server would answer with a 500, a broken invariant, or the process dying.
/// </summary>
internal static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["nifti"] = Nifti, ["png"] = Png, ["safetensors"] = SafeTensors, ["onnx"] = Onnx, ["hdf5"] = Hdf5, ["detect"] = Detect,
        ["multipart"] = Multipart, ["tus"] = Tus, ["jupyter"] = Jupyter,
    };

    private static void Nifti(byte[] input)
    {
        try { NiftiImage.Parse(input, "fuzz.nii"); }
        catch (InvalidDataException) { }
    }

    private static void Png(byte[] input)
    {
        try { PngImage.Decode(input, "fuzz.png"); }
        catch (InvalidDataException) { }
    }

    private static void SafeTensors(byte[] input)
    {
        try { SafeTensorsFile.Load(input, "fuzz.safetensors"); }
        catch (InvalidDataException) { }
    }

    private static void Onnx(byte[] input)
    {
        File.WriteAllBytes(Scratch.File, input);
        try { ModelOutline.Read(Scratch.File); }
        catch (InvalidDataException) { }
        try { OnnxModel.Load(Scratch.File); }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException) { }
    }

    /// <summary>The server's description of an upload (what `ganymede inspect` prints): it never throws, whatever the bytes.</summary>
    private static void Hdf5(byte[] input) => Inspect(input, "fuzz.h5", "h5");

    /// <summary>Type detection and description together, with no name or type to go on.</summary>
    private static void Detect(byte[] input) => Inspect(input, "upload", null);

    private static void Inspect(byte[] input, string name, string? type)
    {
        File.WriteAllBytes(Scratch.File, input);
        DatasetInspector.Inspect(Scratch.File, name, type, input.Length, "");
    }

    /// <summary>A multipart request: the first line is its Content-Type, the rest its body. Only Galaxy errors (4xx, 507) may escape.</summary>
    private static void Multipart(byte[] input)
    {
        int newline = Array.IndexOf(input, (byte)'\n');
        if (newline < 0) return;
        var contentType = System.Text.Encoding.UTF8.GetString(input, 0, newline);
        try
        {
            var (_, files) = MultipartForm.ReadAsync(contentType, new MemoryStream(input, newline + 1, input.Length - newline - 1), Scratch.Server.Files,
                Scratch.Server.Options, CancellationToken.None).GetAwaiter().GetResult();
            foreach (var part in files.Values) File.Delete(part.Path);
        }
        catch (ApiException e) when (e.Status < 500 || e.Status == 507) { }
        if (Directory.EnumerateFileSystemEntries(Scratch.Server.Files.Temporary).Any()) throw new InvalidOperationException("a refused multipart request left a temporary file");
    }

    /// <summary>
    /// A tus upload as a sequence of PATCHes: 3 bytes of Upload-Length, then per PATCH 3 bytes of Upload-Offset, 2 of size
    /// and the bytes. Whatever the order, the stored offset is what arrived in order, and a complete upload holds exactly it.
    /// </summary>
    private static void Tus(byte[] input)
    {
        if (input.Length < 3) return;
        var server = Scratch.Server;
        long length = ReadUInt24(input, 0);
        string id;
        try { id = server.Tus.Create(server.User, length); }
        catch (ApiException) { return; }
        var expected = new byte[length];
        long received = 0;
        try
        {
            for (int pos = 3; pos + 5 <= input.Length;)
            {
                long offset = ReadUInt24(input, pos);
                int size = Math.Min(input[pos + 3] | input[pos + 4] << 8, input.Length - pos - 5);
                var chunk = input.AsSpan(pos + 5, size).ToArray();
                pos += 5 + size;
                try { server.Tus.AppendAsync(server.Sessions.Get(id)!, offset, new MemoryStream(chunk), CancellationToken.None).GetAwaiter().GetResult(); }
                catch (ApiException e) when (e.Status < 500) { }
                long now = server.Sessions.Get(id)!.OffsetBytes;
                if (now == received) continue;
                if (offset != received || now < received || now > received + size) throw new InvalidOperationException($"PATCH at {offset} of {size} bytes moved the offset from {received} to {now}");
                chunk.AsSpan(0, (int)(now - received)).CopyTo(expected.AsSpan((int)received));
                received = now;
            }
            var stored = File.ReadAllBytes(server.Files.UploadPath(id));
            if (stored.Length < received || !stored.AsSpan(0, (int)received).SequenceEqual(expected.AsSpan(0, (int)received)))
                throw new InvalidOperationException("the stored bytes differ from those accepted");
            if (received == length)
            {
                var (path, sha) = server.Tus.TakeComplete(server.Sessions.Get(id)!);
                File.Delete(path);
                if (sha != Convert.ToHexStringLower(SHA256.HashData(expected))) throw new InvalidOperationException("the complete upload's SHA-256 differs from its bytes");
            }
        }
        finally
        {
            if (server.Sessions.Get(id) is { } left) server.Tus.Delete(left);
        }
    }

    /// <summary>Frames as a kernel receives them (2 bytes of length each), decoded unsigned and read as the kernel reads a message.</summary>
    private static void Jupyter(byte[] input)
    {
        var frames = new List<byte[]>();
        for (int pos = 0; pos + 2 <= input.Length;)
        {
            int size = Math.Min(input[pos] | input[pos + 1] << 8, input.Length - pos - 2);
            frames.Add(input.AsSpan(pos + 2, size).ToArray());
            pos += 2 + size;
        }
        foreach (var codec in new[] { new MessageCodec([], "fuzz"), new MessageCodec("key"u8.ToArray(), "fuzz") })
            if (codec.Decode(frames, out _) is { } message)
                _ = (message.Type, message.Id, codec.Encode(message));
    }

    private static long ReadUInt24(byte[] b, int pos) => b[pos] | b[pos + 1] << 8 | b[pos + 2] << 16;
}

/// <summary>What the targets share in one fuzzing process: a scratch file, and a data directory with one user for the upload targets.</summary>
internal static class Scratch
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("ganymede-fuzz-").FullName;

    public static string File { get; } = Path.Combine(Folder, "input");

    private static readonly Lazy<UploadServer> Lazy = new(() => new UploadServer(Path.Combine(Folder, "data")));

    public static UploadServer Server => Lazy.Value;

    internal sealed class UploadServer
    {
        public UploadServer(string dataDirectory)
        {
            Options = new ServerOptions { DataDirectory = dataDirectory, MaxUploadBytes = 1 << 24, MaxJsonBytes = 1 << 20 };
            (Files, var database) = GanymedeServer.OpenDataDirectory(dataDirectory, databaseUrl: null);
            var users = new UserStore(database);
            User = users.Create("fuzz@example.org", isAdmin: false).User;
            Sessions = new UploadStore(database);
            Tus = new TusUploads(Sessions, Files, Options, new Quotas(users, new JobStore(database), new QuotaStore(database), Options));
        }

        public ServerOptions Options { get; }
        public FileStore Files { get; }
        public UserRecord User { get; }
        public UploadStore Sessions { get; }
        public TusUploads Tus { get; }
    }
}
