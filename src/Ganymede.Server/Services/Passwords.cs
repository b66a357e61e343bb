using System.Globalization;
using System.Security.Cryptography;

namespace Ganymede.Server.Services;

/// <summary>
/// Users' passwords, kept only as PBKDF2-HMAC-SHA256 hashes with a random salt, in the text form
/// "pbkdf2-sha256$ITERATIONS$SALT$HASH" (base64), so that the cost can be raised later without losing old hashes.
/// </summary>
public static class Passwords
{
    /// <summary>OWASP's figure for PBKDF2-HMAC-SHA256: slow enough to make guessing from a stolen database costly.</summary>
    public const int Iterations = 600_000;
    private const string Scheme = "pbkdf2-sha256";

    /// <summary>The shortest password by default; a server may allow Galaxy's 6 (<see cref="ServerOptions.MinPasswordLength"/>).</summary>
    public const int DefaultMinimum = 8, GalaxyMinimum = 6;

    /// <summary>Refuses a password too short to protect an account.</summary>
    public static void Check(string password, int minimum = DefaultMinimum)
    {
        if (password.Length < minimum) throw new ArgumentException($"a password needs at least {minimum} characters");
        if (password.Length > 1024) throw new ArgumentException("a password may have at most 1024 characters");
    }

    public static string Hash(string password, int minimum = DefaultMinimum)
    {
        Check(password, minimum);
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>Whether <paramref name="password"/> is the one <paramref name="stored"/> was made from (in constant time).</summary>
    public static bool Verify(string password, string? stored)
    {
        if (stored?.Split('$') is not [Scheme, var iterationText, var saltText, var hashText]
            || !int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out int iterations) || iterations < 1 || password.Length > 1024)
            return false;
        var expected = Convert.FromBase64String(hashText);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(saltText), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
