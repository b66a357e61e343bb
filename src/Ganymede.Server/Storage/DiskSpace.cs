using Microsoft.Data.Sqlite;

namespace Ganymede.Server.Storage;

/// <summary>
/// A full disk under the data directory. New bytes (uploads, tool runs) are refused while less than
/// <see cref="Headroom"/> would stay free; a disk filled anyway (by a job, by another program) gives the same clear
/// error, never a path. Deletions must still work then, since they are how space is freed: the data directory holds a
/// reserve file of <see cref="Headroom"/> bytes that a deletion gives up when the database has no room to record it.
/// </summary>
public static class DiskSpace
{
    /// <summary>What uploads may not take, and the size of the reserve: room for the database's own writes.</summary>
    public const long Headroom = 8L << 20;

    /// <summary>Whether the error says the disk (or the account's file-system quota) is full: ENOSPC, EDQUOT, SQLITE_FULL.</summary>
    public static bool IsFull(Exception e) => e switch
    {
        SqliteException s => s.SqliteErrorCode == 13,
        IOException io => io.HResult is 28 or 122,
        _ => false,
    } || (e.InnerException is { } inner && IsFull(inner));

    public static ApiException FullError() =>
        new(507, 507001, "the server's disk is full: nothing was stored; deleting and purging datasets frees space, or ask an administrator to add some");

    /// <summary>Refuses storing <paramref name="bytes"/> more when that would leave less than the headroom free.</summary>
    public static void EnsureRoom(string directory, long bytes)
    {
        if (new DriveInfo(directory).AvailableFreeSpace < bytes + Headroom) throw FullError();
    }

    /// <summary>Runs a deletion's database write; when the disk is full, gives up the reserve and tries once more.</summary>
    public static void FreeingReserve(FileStore files, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (IsFull(e) && files.ReleaseReserve())
        {
            write();
        }
    }
}
