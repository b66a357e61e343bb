using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Sessions;

/// <summary>
/// Stops notebook sessions left idle for their chosen time: no cell running, no kernel connection (an open notebook
/// page holds one) and no request for that long, by Jupyter's own account (/api/status). They stop as the Stop
/// button stops them, so their notebooks are saved. The server decides, not Jupyter's culling, whose checks run once
/// a minute: a timeout of seconds behaves as asked.
/// </summary>
public sealed class SessionMonitor(JobStore jobs, NotebookSessions sessions, IdCodec ids, JobHandler handler, ILogger<SessionMonitor> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stop))
            foreach (var job in jobs.OfHandler(handler.Name, JobStates.Running).Where(sessions.IsSession).Where(sessions.IsListening))
            {
                try
                {
                    var idle = await sessions.IdleForAsync(job, stop);
                    if (idle is not { } time || time < NotebookTool.IdleTimeout(job.Params)) continue;
                    log.LogInformation("session {Job} idle for {Minutes:F1} minutes: stopping it", ids.Encode(job.Id), time.TotalMinutes);
                    await sessions.StopAsync(job, stop);
                }
                // Its notebook server not answering: it is ending (stopped, or crashed), and the job loop will see it end.
                catch (HttpRequestException) { }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("could not check session {Job} for idleness: {Error}", ids.Encode(job.Id), e.Message);
                }
            }
    }
}
