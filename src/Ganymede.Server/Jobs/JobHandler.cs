using System.Data.Common;
using System.Text.RegularExpressions;
using Ganymede.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Jobs;

/// <summary>
/// This server as one of the job handlers of its database (Galaxy's job handlers): it registers under its name before
/// the server starts, and says it is alive several times per <see cref="ServerOptions.HandlerTimeout"/> on a timer of
/// its own, so that a job loop busy collecting a large output is not taken for dead. <see cref="JobManager"/> adopts
/// the jobs of handlers gone silent; the longest-running live handler <see cref="Leads"/> (workflows are scheduled there).
/// </summary>
public sealed partial class JobHandler(HandlerStore handlers, ServerOptions options, ILogger<JobHandler> log) : BackgroundService
{
    private bool _leads = true;

    public string Name => options.HandlerName;

    /// <summary>Whether this handler is the longest running of those alive: the one that schedules workflow invocations.</summary>
    public bool Leads => Volatile.Read(ref _leads);

    /// <summary>The time before which a handler's last heartbeat means it is dead.</summary>
    public string SilentBefore() => Database.Timestamp(DateTime.UtcNow - options.HandlerTimeout);

    /// <summary>The machine's name, as a handler name: one server per machine needs no --handler-name.</summary>
    public static string DefaultName()
    {
        var name = Regex.Replace(Environment.MachineName, "[^A-Za-z0-9._-]", "-").TrimStart('.', '-');
        return name.Length == 0 ? "server" : name[..Math.Min(name.Length, 48)];
    }

    /// <summary>Refuses names that cannot be a folder's (temporary files and the API socket are kept per handler).</summary>
    /// <exception cref="ArgumentException">the name is empty, too long, or has other characters than letters, digits, '.', '_' and '-'.</exception>
    public static string CheckName(string name) => ValidName().IsMatch(name) ? name
        : throw new ArgumentException($"--handler-name '{name}': use 1 to 48 letters, digits, '.', '_' or '-', starting with a letter or digit");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$")]
    private static partial Regex ValidName();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Register();
        return base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Records this server under its name. A live server under the same name is refused: two handlers of one name would
    /// each take the other's jobs for their own. A record of this machine whose process is gone is a previous run.
    /// </summary>
    /// <exception cref="InvalidOperationException">another live server has this name.</exception>
    private void Register()
    {
        CheckName(Name);
        var (host, pid) = (Environment.MachineName, (long)Environment.ProcessId);
        if (handlers.Get(Name) is { } other && string.CompareOrdinal(other.Heartbeat, SilentBefore()) >= 0
            && !(other.Host == host && (other.Pid == pid || !Directory.Exists($"/proc/{other.Pid}"))))
            throw new InvalidOperationException($"another server runs as job handler '{Name}' (on {other.Host}, process {other.Pid}, alive at {other.Heartbeat} UTC): " +
                "give each server of a database its own --handler-name");
        handlers.Register(Name, host, pid);
        UpdateLead();
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.HandlerTimeout / 6);
        while (await WaitAsync(timer, stop))
        {
            try
            {
                if (!handlers.Beat(Name))
                {
                    log.LogWarning("job handler {Name} was silent too long and taken for dead: the others adopted its jobs; it goes on with new ones", Name);
                    handlers.Register(Name, Environment.MachineName, Environment.ProcessId);
                }
                UpdateLead();
            }
            catch (DbException e)
            {
                log.LogError("job handler {Name} could not write its heartbeat: {Error}", Name, e.Message);
            }
        }
    }

    private void UpdateLead() => Volatile.Write(ref _leads, handlers.Alive(SilentBefore()) is [var first, ..] && first.Name == Name);

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try { return await timer.WaitForNextTickAsync(stop); }
        catch (OperationCanceledException) { return false; }
    }
}
