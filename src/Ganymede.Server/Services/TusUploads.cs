using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Resumable upload sessions (tus 1.0.0): the bytes go to uploads/SESSION.part, in order, and what arrived stays
/// when a connection breaks, so the client resumes from there. A complete session is handed over to become a
/// dataset (<see cref="TakeComplete"/>). Two requests for one session never write at once.
/// </summary>
public sealed class TusUploads(UploadStore sessions, FileStore files, ServerOptions options, Quotas quotas)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();

    /// <summary>A new, empty session of <paramref name="length"/> bytes; returns its id.</summary>
    public string Create(UserRecord user, long length)
    {
        if (length > options.MaxUploadBytes) throw new ApiException(413, 413001, $"upload of {length:N0} bytes is larger than the server's limit of {options.MaxUploadBytes:N0}");
        quotas.CheckStorage(user, length);
        DiskSpace.EnsureRoom(files.Uploads, length);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        File.Create(files.UploadPath(id)).Dispose();
        sessions.Create(id, user.Id, length);
        return id;
    }

    /// <summary>Appends the body at <paramref name="offset"/>, which must be where the session stands; returns the new offset.</summary>
    public async Task<long> AppendAsync(UploadRecord session, long offset, Stream body, CancellationToken cancel)
    {
        var gate = _gates.GetOrAdd(session.Id, _ => new SemaphoreSlim(1));
        await gate.WaitAsync(cancel);
        try
        {
            var current = sessions.Get(session.Id) ?? throw ApiException.NotFound($"upload session {session.Id} not found");
            if (offset != current.OffsetBytes) throw new ApiException(409, 409001, $"Upload-Offset {offset} does not match the {current.OffsetBytes} bytes received so far");
            long written = current.OffsetBytes;
            try
            {
                // Unbuffered, so that the offset recorded below is what reached the disk when a write fails (a full disk).
                await using var file = new FileStream(files.UploadPath(session.Id), FileMode.Open, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
                file.Seek(written, SeekOrigin.Begin);
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await body.ReadAsync(buffer, cancel)) > 0)
                {
                    if (written + n > current.Length) throw new ApiException(413, 413001, $"the upload is longer than the {current.Length:N0} bytes announced in Upload-Length");
                    await file.WriteAsync(buffer.AsMemory(0, n), cancel);
                    written += n;
                }
                await file.FlushAsync(CancellationToken.None);
            }
            finally
            {
                // What arrived stays (even from a broken connection): the client resumes from here.
                sessions.SetOffset(session.Id, written);
            }
            return written;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Ends a session and removes its bytes; works on a full disk too (<see cref="DiskSpace"/>).</summary>
    public void Delete(UploadRecord session)
    {
        File.Delete(files.UploadPath(session.Id));
        DiskSpace.FreeingReserve(files, () => sessions.Delete(session.Id));
        files.KeepReserve();
        _gates.TryRemove(session.Id, out _);
    }

    /// <summary>A complete session's file, moved to a temporary name for a dataset (never copied); the session ends.</summary>
    public (string Path, string Sha256) TakeComplete(UploadRecord session)
    {
        if (session.OffsetBytes != session.Length)
            throw ApiException.BadRequest($"upload session {session.Id} is incomplete: {session.OffsetBytes:N0} of {session.Length:N0} bytes arrived");
        var path = files.NewTemporaryPath();
        File.Move(files.UploadPath(session.Id), path);
        sessions.Delete(session.Id);
        _gates.TryRemove(session.Id, out _);
        return (path, FileStore.Sha256Of(path));
    }
}
