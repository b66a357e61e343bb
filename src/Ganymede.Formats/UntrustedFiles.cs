using System.IO.Compression;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ganymede.Formats;

/// <summary>A file a job left that cannot be collected, and why, in the user's words.</summary>
public sealed class UntrustedFileException(string message) : IOException(message);

/// <summary>
/// Reads what jobs leave behind as untrusted input: only regular files of their own are taken. A symbolic link (which
/// could point at another user's data), a FIFO (which would block the reader), a device or socket, and a hard link (a
/// second name of a file that may live outside the job's folder) are refused with the reason. The file is checked by
/// name without following links, opened without following links and without blocking, and checked again on the open
/// descriptor, so a process still running in the job cannot swap it in between.
/// </summary>
public static partial class UntrustedFiles
{
    /// <summary>Opens a regular file for reading, or refuses it.</summary>
    public static FileStream OpenRegular(string path, string shownName)
    {
        Check(LStat(path, shownName), shownName);
        int fd = open(path, ORdOnly | ONoFollow | ONonBlock | OCloExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new UntrustedFileException(errno == ELoop ? $"{shownName} is a symbolic link; only regular files are collected" : $"{shownName} cannot be opened (error {errno})");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            Check(FStat(fd, shownName), shownName);
            return new FileStream(handle, FileAccess.Read, 1 << 16);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Whether the path names a regular file itself (not a link, pipe, device, socket or folder).</summary>
    public static bool IsRegular(string path) => LStat(path, path).Type == FileType.Regular;

    /// <summary>Copies a regular file (refusing anything else) to <paramref name="destination"/>.</summary>
    public static void CopyRegular(string path, string shownName, string destination)
    {
        using var source = OpenRegular(path, shownName);
        using var target = File.Create(destination);
        source.CopyTo(target);
    }

    /// <summary>Zips a folder a job left: its regular files and subfolders, refusing anything else found in it.</summary>
    public static void ZipFolder(string directory, string shownName, string destination)
    {
        using var zip = ZipFile.Open(destination, ZipArchiveMode.Create);
        var pending = new Stack<string>([directory]);
        while (pending.TryPop(out var folder))
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(directory, entry);
                var shown = $"{shownName}/{relative}";
                if (LStat(entry, shown).Type == FileType.Directory)
                {
                    pending.Push(entry);
                    continue;
                }
                using var source = OpenRegular(entry, shown);
                using var target = zip.CreateEntry(relative.Replace('\\', '/'), CompressionLevel.Fastest).Open();
                source.CopyTo(target);
            }
    }

    private enum FileType { Regular, Directory, SymbolicLink, Fifo, Device, Socket, Other }

    private readonly record struct Facts(FileType Type, uint Links);

    private static void Check(Facts facts, string shownName)
    {
        string? refusal = facts.Type switch
        {
            FileType.Regular when facts.Links > 1 => $"{shownName} is a hard link ({facts.Links} names for one file); only files of the job's own are collected",
            FileType.Regular => null,
            FileType.SymbolicLink => $"{shownName} is a symbolic link; only regular files are collected",
            FileType.Fifo => $"{shownName} is a named pipe (FIFO); only regular files are collected",
            FileType.Directory => $"{shownName} is a folder where a file was expected",
            _ => $"{shownName} is a {facts.Type.ToString().ToLowerInvariant()}; only regular files are collected",
        };
        if (refusal is not null) throw new UntrustedFileException(refusal);
    }

    /// <summary>What the path itself is, without following a link.</summary>
    private static Facts LStat(string path, string shownName) => StatX(AtFdCwd, path, AtSymlinkNoFollow, shownName);

    private static Facts FStat(int fd, string shownName) => StatX(fd, "", AtEmptyPath, shownName);

    private static unsafe Facts StatX(int dirFd, string path, int flags, string shownName)
    {
        // struct statx: stx_nlink at byte 16 (u32), stx_mode at byte 28 (u16); the kernel writes at most 256 bytes.
        byte* buffer = stackalloc byte[256];
        if (statx(dirFd, path, flags, StatxType | StatxMode | StatxNlink, buffer) != 0)
            throw new UntrustedFileException($"{shownName} cannot be examined (error {Marshal.GetLastPInvokeError()})");
        uint links = *(uint*)(buffer + 16);
        int mode = *(ushort*)(buffer + 28) & 0xF000;
        var type = mode switch
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0xA000 => FileType.SymbolicLink,
            0x1000 => FileType.Fifo,
            0x2000 or 0x6000 => FileType.Device,
            0xC000 => FileType.Socket,
            _ => FileType.Other,
        };
        return new Facts(type, links);
    }

    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, AtEmptyPath = 0x1000;
    private const int StatxType = 0x1, StatxMode = 0x2, StatxNlink = 0x4;
    private const int ORdOnly = 0, ONonBlock = 0x800, ONoFollow = 0x20000, OCloExec = 0x80000, ELoop = 40;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string pathname, int flags, uint mask, byte* statxbuf);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string pathname, int flags);
}
