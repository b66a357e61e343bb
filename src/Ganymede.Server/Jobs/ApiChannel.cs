namespace Ganymede.Server.Jobs;

/// <summary>
/// The narrow channel to the server that a job of a tool that needs it gets (<see cref="Tool.UsesApi"/>): jobs have
/// no network, so the server also listens on a Unix socket, whose folder is bound read-only into the job's sandbox
/// (<see cref="SocketInSandbox"/>), and the job gets a key that acts for its owner (never as an administrator) only
/// while it runs. GanymedeClient.FromEnvironment() finds both in the job's environment.
/// </summary>
public static class ApiChannel
{
    /// <summary>
    /// The folder, not the socket, is bound: a restarted server makes a new socket there, which a job that outlived the
    /// old one (a notebook session) then reaches; a socket bound by itself would stay the dead one.
    /// </summary>
    public const string DirectoryInSandbox = "/ganymede/api", SocketInSandbox = DirectoryInSandbox + "/" + SocketName;
    private const string SocketName = "api.sock";
    /// <summary>The job's environment: the socket, its key, and the history the job runs in (where it may put what it makes).</summary>
    public const string SocketVariable = "GANYMEDE_API_SOCKET", KeyVariable = "GANYMEDE_API_KEY", HistoryVariable = "GANYMEDE_HISTORY_ID";

    /// <summary>
    /// Where the server's socket lives: in a folder of its own under /run, named after the data directory and the
    /// server's job handler (servers sharing a data directory on one machine each have theirs; a Unix socket's path
    /// is limited to 107 bytes, which a data directory's own path may pass).
    /// </summary>
    public static string SocketPath(string dataDirectory, string handlerName) =>
        Path.Combine("/run/ganymede", Sandbox.NameFor(Path.GetFullPath(dataDirectory), "api-" + handlerName), SocketName);

    /// <summary>Makes the socket's folder and removes a socket a stopped server left, before Kestrel binds a new one.</summary>
    public static void Prepare(string socketPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
        File.Delete(socketPath);
    }

    /// <summary>Jobs run as users of their own: each may connect (connecting to a Unix socket needs write permission on it).</summary>
    public static void Open(string socketPath)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
    }
}
