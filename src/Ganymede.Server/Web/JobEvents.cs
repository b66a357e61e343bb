using Ganymede.Server.Api;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Http;

namespace Ganymede.Server.Web;

/// <summary>
/// Server-sent events for a job's page: "changed" whenever the job has something new to show (state, log lines,
/// metrics), then "done" when it has ended, after which the page stops listening (htmx's sse-close). The page
/// fetches its details fragment on each "changed", so the events carry no data of their own.
/// </summary>
public static class JobEvents
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    public static async Task StreamAsync(HttpContext c, string id, UserStore users, Access access, JobStore jobs, JobManager manager)
    {
        var job = access.Job(WebPages.CurrentUser(c.User, users), id);
        c.Response.ContentType = "text/event-stream";
        c.Response.Headers.CacheControl = "no-cache";
        // Proxies must not hold the stream back (nginx buffers responses unless told).
        c.Response.Headers["X-Accel-Buffering"] = "no";
        // The first event makes the page catch up with whatever changed between its rendering and this connection.
        string? last = null;
        using var timer = new PeriodicTimer(Poll);
        try
        {
            do
            {
                job = jobs.Get(job.Id) ?? job;
                var version = manager.Version(job);
                if (version != last)
                {
                    last = version;
                    await c.Response.WriteAsync("event: changed\ndata: " + version.Replace('\n', ' ') + "\n\n", c.RequestAborted);
                    await c.Response.Body.FlushAsync(c.RequestAborted);
                }
                if (JobStates.IsTerminal(job.State))
                {
                    await c.Response.WriteAsync("event: done\ndata: \n\n", c.RequestAborted);
                    return;
                }
            }
            while (await timer.WaitForNextTickAsync(c.RequestAborted));
        }
        catch (OperationCanceledException) when (c.RequestAborted.IsCancellationRequested)
        {
            // The page was closed or left: nothing more to send.
        }
    }
}
