namespace Ganymede.IO;

/// <summary>
/// Writes a file under a temporary name beside its target and renames it into place once complete, so a
/// crash or an exception never leaves half a file where a good one was (rename is atomic on one filesystem).
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var temporary = TemporaryFor(path);
        try
        {
            using (var file = File.Create(temporary)) write(file);
            File.Move(temporary, Path.GetFullPath(path), overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>A hidden, unique name in the target's folder (so the final rename stays on one filesystem).</summary>
    public static string TemporaryFor(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
    }
}
