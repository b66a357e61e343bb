using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Ganymede.Tests;

/// <summary>
/// A PostgreSQL 15 of Debian's for the tests of this process: started on first use as the postgres user, in a
/// temporary folder, on a free loopback port, and stopped (by its pid file, through pg_ctl) when the process ends.
/// Each caller gets a database of its own.
/// </summary>
public static class TestPostgres
{
    private const string Bin = "/usr/lib/postgresql/15/bin", User = "ganymede", Password = "ganymede-test";

    /// <summary>
    /// The environment variable that runs the server's tests against PostgreSQL: `GANYMEDE_TEST_DATABASE=postgresql`
    /// (scripts/test.sh runs the server's suite once so, after the run on SQLite).
    /// </summary>
    public const string ModeVariable = "GANYMEDE_TEST_DATABASE";

    public static bool Selected => Environment.GetEnvironmentVariable(ModeVariable) == "postgresql";

    private static readonly Lazy<(string Folder, int Port)> Cluster = new(Start);
    private static readonly Lock Creating = new();

    /// <summary>
    /// The database URL a server of these tests uses for <paramref name="dataDirectory"/>: null (its SQLite file) unless
    /// <see cref="Selected"/>, else a PostgreSQL database of its own, the same one each time (a restarted server finds its data).
    /// </summary>
    public static string? UrlFor(string dataDirectory) => Selected ? Database("d" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..20]) : null;

    /// <summary>The URL of the database <paramref name="name"/> (letters, digits and _), made empty on first use.</summary>
    public static string Database(string name)
    {
        var (_, port) = Cluster.Value;
        lock (Creating)
        {
            var exists = Psql(port, $"SELECT 1 FROM pg_database WHERE datname = '{name}'");
            if (exists != "1") Psql(port, $"CREATE DATABASE {name} OWNER {User}");
        }
        return $"postgresql://{User}:{Password}@127.0.0.1:{port}/{name}";
    }

    /// <summary>Runs one SQL statement as the superuser; returns its output (unaligned, tuples only).</summary>
    public static string Psql(int port, string sql) =>
        Run("psql", ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            asPostgres: false, environment: ("PGPASSWORD", Password));

    private static (string, int) Start()
    {
        RemoveOrphans();
        var folder = Directory.CreateTempSubdirectory("ganymede-pg-").FullName;
        Run("chown", ["postgres:postgres", folder], asPostgres: false);
        var passwordFile = Path.Combine(folder, "password");
        File.WriteAllText(passwordFile, Password);
        Run("chown", ["postgres:postgres", passwordFile], asPostgres: false);
        Run(Bin + "/initdb", ["-D", folder + "/data", "-U", "postgres", "--pwfile", passwordFile, "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asPostgres: true);
        int port = FreePort();
        // Durability is not what these tests check: without fsync the cluster starts and writes fast.
        Run(Bin + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/pg.log", "-w", "-o",
            $"-k {folder} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400", "start"], asPostgres: true);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Run(Bin + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], asPostgres: true, check: false);
            Directory.Delete(folder, recursive: true);
        };
        Psql(port, $"CREATE ROLE {User} LOGIN PASSWORD '{Password}'");
        return (folder, port);
    }

    /// <summary>
    /// Removes the clusters of earlier test processes that ended without removing theirs (a test host may be ended
    /// before its exit handlers finish): those over ten minutes old whose server is not running. Younger ones may
    /// belong to a test process starting beside this one.
    /// </summary>
    private static void RemoveOrphans()
    {
        foreach (var folder in new DirectoryInfo(Path.GetTempPath()).EnumerateDirectories("ganymede-pg-*"))
        {
            if (folder.CreationTimeUtc > DateTime.UtcNow.AddMinutes(-10)) continue;
            var pidFile = Path.Combine(folder.FullName, "data", "postmaster.pid");
            bool running = File.Exists(pidFile) && File.ReadLines(pidFile).FirstOrDefault() is { } pid && File.Exists($"/proc/{pid}/status")
                && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal);
            if (!running) folder.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Run(string program, string[] args, bool asPostgres, bool check = true, (string Name, string Value)? environment = null)
    {
        // runuser, not su: no login shell, no PAM session, no change of folder to postgres's home.
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        if (asPostgres) foreach (var a in new[] { "-u", "postgres", "--", program }) start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        if (environment is { } e) start.Environment[e.Name] = e.Value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (check && process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
        return output.Result.Trim();
    }
}
