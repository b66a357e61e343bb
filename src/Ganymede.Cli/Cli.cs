namespace Ganymede.Cli;

/// <summary>How commands end: 0 on success; on bad input a one-line error naming what was wrong, and exit code 1.</summary>
internal static class Cli
{
    public static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or KeyNotFoundException or UnauthorizedAccessException or DllNotFoundException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
