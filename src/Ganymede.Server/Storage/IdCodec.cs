using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Ganymede.Server.Storage;

/// <summary>
/// Turns database integers into Galaxy-style ids (16 lowercase hex characters) and back. A keyed Feistel
/// permutation of the 64-bit value with HMAC-SHA256 as its round function (one keyed hasher per thread, so a
/// contents listing can encode thousands of ids quickly): ids are stable for one data directory, reveal neither counts nor order, and a
/// guessed id almost never decodes to an existing row. Like Galaxy's Blowfish ids, this hides, it does not
/// authorise: every lookup still checks the owner.
/// </summary>
public sealed class IdCodec : IDisposable
{
    private const int Rounds = 4;
    private readonly byte[] _key;
    // A keyed hasher keeps its key schedule between calls; it is not safe to share, so one per thread.
    private readonly ThreadLocal<IncrementalHash> _hmac;

    public IdCodec(byte[] key)
    {
        _key = key;
        _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key), trackAllValues: true);
    }

    /// <summary>The data directory's key, created on first use (readable by the server's user only).</summary>
    public static IdCodec ForDataDirectory(string dataDir)
    {
        var path = Path.Combine(dataDir, "id_secret");
        if (!File.Exists(path))
        {
            Ganymede.IO.AtomicFile.Write(path, s => s.Write(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return new IdCodec(File.ReadAllBytes(path));
    }

    public void Dispose()
    {
        foreach (var hmac in _hmac.Values) hmac.Dispose();
        _hmac.Dispose();
    }

    // Encoded ids never change; listings show the same ones again and again. Bounded: cleared when full.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> _encoded = new();
    private const int CacheLimit = 1 << 18;

    public string Encode(long id)
    {
        if (_encoded.TryGetValue(id, out var cached)) return cached;
        if (_encoded.Count >= CacheLimit) _encoded.Clear();
        return _encoded[id] = Permute(id);
    }

    private string Permute(long id)
    {
        ulong v = (ulong)id;
        uint left = (uint)(v >> 32), right = (uint)v;
        for (int round = 0; round < Rounds; round++)
            (left, right) = (right, left ^ RoundFunction(round, right));
        return ((ulong)left << 32 | right).ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>The integer behind an id; false for anything that is not 16 hex characters.</summary>
    public bool TryDecode(string? text, out long id)
    {
        id = 0;
        if (text is not { Length: 16 } || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
            return false;
        uint left = (uint)(v >> 32), right = (uint)v;
        for (int round = Rounds - 1; round >= 0; round--)
            (left, right) = (right ^ RoundFunction(round, left), left);
        id = (long)((ulong)left << 32 | right);
        return true; // a well-formed id; whether it names a row is the store's question (404)
    }

    private uint RoundFunction(int round, uint half)
    {
        Span<byte> message = stackalloc byte[5];
        message[0] = (byte)round;
        BinaryPrimitives.WriteUInt32LittleEndian(message[1..], half);
        Span<byte> hash = stackalloc byte[32];
        var hmac = _hmac.Value!;
        hmac.AppendData(message);
        hmac.GetHashAndReset(hash);
        return BinaryPrimitives.ReadUInt32LittleEndian(hash);
    }
}
