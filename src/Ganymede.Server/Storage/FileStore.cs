using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Ganymede.Server.Storage;

/// <summary>
/// The data directory's layout. Every path is built from database integers or server-made ids, never from a
/// name a client sent, so nothing outside the data directory can be read or written. Files arrive under tmp/
/// and are renamed into place only when complete; each server sharing the data directory has a folder of its own
/// there (named after its job handler), which it alone clears.
/// </summary>
public sealed partial class FileStore
{
    public FileStore(string dataDir, string handlerName)
    {
        Root = Path.GetFullPath(dataDir);
        Temporary = TemporaryOf(handlerName);
        foreach (var d in new[] { Root, Temporary, Uploads, Jobs, Path.Combine(Root, "files") }) Directory.CreateDirectory(d);
    }

    public string Root { get; }
    public string Temporary { get; }

    private string TemporaryOf(string handlerName) => Path.Combine(Root, "tmp", handlerName);
    public string Uploads => Path.Combine(Root, "uploads");
    public string Jobs => Path.Combine(Root, "jobs");

    public string DatasetPath(long id) => Path.Combine(Root, "files", (id / 1000).ToString("D3", System.Globalization.CultureInfo.InvariantCulture), $"dataset_{id}.dat");

    public string LibraryDatasetPath(long id) => Path.Combine(Root, "library", (id / 1000).ToString("D3", System.Globalization.CultureInfo.InvariantCulture), $"library_dataset_{id}.dat");

    /// <summary>
    /// Gives a file a second name in the store without copying its bytes (a hard link; the data directory is one
    /// filesystem): a dataset copied to another history, imported from a library or added to one. Each name is removed
    /// on its own; the bytes go with the last. Where no link can be made (a file linked in from another filesystem), it is copied.
    /// </summary>
    public void Share(string existing, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temporary = NewTemporaryPath();
        try
        {
            if (link(existing, temporary) != 0) File.Copy(existing, temporary);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    /// <summary>The path with every link and ".." resolved (the file must exist), or null.</summary>
    public static string? RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(resolved); }
        finally { free(resolved); }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    public string ExportPath(long id) => Path.Combine(Root, "exports", $"history_export_{id}.tar");

    public string JobDirectory(long id) => Path.Combine(Jobs, id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A tus session's partial file; the session id is server-made hex, checked again here.</summary>
    public string UploadPath(string sessionId)
    {
        if (sessionId.Length != 32 || !sessionId.All(char.IsAsciiHexDigitLower)) throw new ArgumentException("malformed upload session id");
        return Path.Combine(Uploads, sessionId + ".part");
    }

    /// <summary>
    /// Removes every temporary file of this server (at start, when nothing can be using one), or of a server that
    /// died (<paramref name="handlerName"/>: whose jobs this one adopted).
    /// </summary>
    public void ClearTemporary(string? handlerName = null)
    {
        var folder = handlerName is null ? Temporary : TemporaryOf(handlerName);
        if (!Directory.Exists(folder)) return;
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            if (entry is DirectoryInfo directory) directory.Delete(recursive: true);
            else entry.Delete();
    }

    private string ReservePath => Path.Combine(Root, "reserve");

    /// <summary>
    /// Makes the reserve file (<see cref="DiskSpace"/>) when it is missing and the disk has room for it twice over.
    /// Written with real bytes: a sparse file would reserve nothing.
    /// </summary>
    public void KeepReserve()
    {
        if (File.Exists(ReservePath) || new DriveInfo(Root).AvailableFreeSpace < 2 * DiskSpace.Headroom) return;
        var path = NewTemporaryPath();
        try
        {
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                var zeros = new byte[1 << 20];
                for (long written = 0; written < DiskSpace.Headroom; written += zeros.Length) file.Write(zeros);
            }
            File.Move(path, ReservePath);
        }
        catch (IOException e) when (DiskSpace.IsFull(e) || File.Exists(ReservePath))
        {
            File.Delete(path); // filled in the meantime (the next deletion tries again), or another server made it
        }
    }

    /// <summary>Gives the reserve's space back to the disk; false when there was none to give.</summary>
    public bool ReleaseReserve()
    {
        if (!File.Exists(ReservePath)) return false;
        File.Delete(ReservePath);
        return true;
    }

    public string NewTemporaryPath() => Path.Combine(Temporary, Guid.NewGuid().ToString("N") + ".part");

    /// <summary>Moves a complete file into the dataset's place (same filesystem, so the rename is atomic).</summary>
    public void CommitDataset(string completeFile, long id) => Commit(completeFile, DatasetPath(id));

    public void CommitLibraryDataset(string completeFile, long id) => Commit(completeFile, LibraryDatasetPath(id));

    private static void Commit(string completeFile, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(completeFile, target, overwrite: true);
    }

    /// <summary>
    /// Streams <paramref name="source"/> into a new temporary file with a constant-size buffer, hashing as it goes.
    /// Throws (and leaves nothing behind) when the stream ends early, breaks, or passes <paramref name="maxBytes"/>.
    /// </summary>
    public async Task<(string Path, long Size, string Sha256)> ReceiveAsync(Stream source, long maxBytes, CancellationToken cancel)
    {
        var path = NewTemporaryPath();
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await source.ReadAsync(buffer, cancel)) > 0)
                {
                    size += n;
                    if (size > maxBytes) throw new ApiException(413, 413001, $"upload larger than the server's limit of {maxBytes:N0} bytes");
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), cancel);
                }
            }
            return (path, size, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>SHA-256 of a file already on disk (tus uploads and job outputs).</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public void DeleteDatasetFile(long id)
    {
        var path = DatasetPath(id);
        if (File.Exists(path)) File.Delete(path);
    }

    public void DeleteLibraryDatasetFile(long id)
    {
        var path = LibraryDatasetPath(id);
        if (File.Exists(path)) File.Delete(path);
    }
}
