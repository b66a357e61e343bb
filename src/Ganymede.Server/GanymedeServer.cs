using Ganymede.Server.Api;
using Ganymede.Server.Services;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;
using Ganymede.Server.Sessions;
using Ganymede.Server.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server;

/// <summary>
/// The server in one place: services, the API-key check, Galaxy-style errors, and the endpoints, one
/// extension method per resource. `ganymede serve` builds and runs it; tests start it the same way.
/// </summary>
public static class GanymedeServer
{
    public static WebApplication Build(ServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var socket = ApiChannel.SocketPath(options.DataDirectory, options.HandlerName);
        ApiChannel.Prepare(socket);
        builder.WebHost.UseUrls(options.Urls + ";http://unix:" + socket);
        // Upload endpoints stream bodies to disk and enforce their own limits (ServerOptions.MaxUploadBytes).
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Logging.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddFilter("Yarp", LogLevel.Warning);
        AddServices(builder.Services, options);
        WebPages.AddWebPages(builder.Services);

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => ApiChannel.Open(socket));
        app.Lifetime.ApplicationStopped.Register(() => File.Delete(socket));
        app.Use(GalaxyErrors);
        app.Use(Authenticate);
        app.UseRouting();
        WebPages.UseWebPages(app);
        app.MapConfigEndpoints()
           .MapUserEndpoints()
           .MapSharingEndpoints()
           .MapHistoryEndpoints()
           .MapHistoryArchiveEndpoints()
           .MapDatasetEndpoints()
           .MapCollectionEndpoints()
           .MapToolEndpoints()
           .MapUploadEndpoints()
           .MapJobEndpoints()
           .MapRoleEndpoints()
           .MapQuotaEndpoints()
           .MapLibraryEndpoints()
           .MapFolderEndpoints()
           .MapWorkflowEndpoints()
           .MapInvocationEndpoints()
           .MapEntryPointEndpoints()
           .MapNotebookProxy();
        app.MapFallback("/api/{**path}", (HttpContext c) => throw ApiException.NotFound($"no API endpoint {c.Request.Method} {c.Request.Path}"));
        return app;
    }

    public static void AddServices(IServiceCollection services, ServerOptions options)
    {
        var (files, database) = OpenDataDirectory(options.DataDirectory, options.Database, options.HandlerName);
        services.AddSingleton(options).AddSingleton(files).AddSingleton<Database>(database)
            .AddSingleton(IdCodec.ForDataDirectory(files.Root))
            .AddSingleton<UserStore>().AddSingleton<HistoryStore>().AddSingleton<DatasetStore>().AddSingleton<JobStore>().AddSingleton<UploadStore>().AddSingleton<RoleStore>().AddSingleton<QuotaStore>().AddSingleton<LibraryStore>().AddSingleton<HistoryExportStore>().AddSingleton<CollectionStore>().AddSingleton<WorkflowStore>().AddSingleton<PermissionStore>().AddSingleton<HandlerStore>()
            .AddSingleton<Access>().AddSingleton<GalaxyViews>().AddSingleton<ContentsCache>().AddSingleton<LibraryViews>().AddSingleton<CollectionViews>().AddSingleton<WorkflowViews>().AddSingleton<JobSubmission>().AddSingleton<ResourceRequests>().AddSingleton<Jobs.ToolRuns>()
            .AddSingleton<HistoryService>().AddSingleton<SharingService>().AddSingleton<HistoryCopier>().AddSingleton<DatasetService>().AddSingleton<UploadService>().AddSingleton<TusUploads>().AddSingleton<JobCompletion>().AddSingleton<FileInspector>().AddSingleton<Quotas>().AddSingleton<QuotaService>().AddSingleton<RoleService>().AddSingleton<LibraryService>().AddSingleton<HistoryArchives>().AddSingleton<CollectionService>().AddSingleton<WorkflowService>().AddSingleton<InvocationService>().AddSingleton<UserService>().AddSingleton<RunMetrics>().AddSingleton<Provenance>().AddSingleton<SystemMonitor>().AddSingleton<Sessions.NotebookSessions>().AddSingleton<Services.Previews.NiftiSlices>()
            .AddSingleton(ToolBox.BuiltIn()).AddSingleton<IJobRunner>(options.Runner switch
            {
                "local" => new LocalRunner(),
                "slurm" => new SlurmRunner(options.SlurmPartition),
                var other => throw new ArgumentException($"unknown job runner '{other}' (local or slurm)"),
            })
            .AddSingleton<JobHandler>().AddHostedService(s => s.GetRequiredService<JobHandler>())
            .AddSingleton<JobManager>().AddHostedService(s => s.GetRequiredService<JobManager>())
            .AddSingleton<WorkflowScheduler>().AddHostedService(s => s.GetRequiredService<WorkflowScheduler>()).AddHostedService<SessionMonitor>();
        services.AddHttpForwarder();
        services.ConfigureHttpJsonOptions(j => j.SerializerOptions.WriteIndented = false);
    }

    /// <summary>
    /// The data directory's files and its migrated database: the one <paramref name="databaseUrl"/> names, or the SQLite
    /// file in the data directory (the server, and `ganymede users create`, start here).
    /// </summary>
    public static (FileStore Files, Database Database) OpenDataDirectory(string dataDirectory, string? databaseUrl, string? handlerName = null)
    {
        var files = new FileStore(dataDirectory, JobHandler.CheckName(handlerName ?? JobHandler.DefaultName()));
        var database = Database.Connect(databaseUrl, files.Root);
        database.Migrate();
        return (files, database);
    }

    /// <summary>
    /// Every /api call needs a known API key in x-api-key (BioBlend's header) or ?key=, except the version probe. A
    /// signed-in browser may also call it with its session: to read (GET, HEAD: downloads and previews the pages link
    /// to), and to change something only with the pages' anti-forgery token in a header (the uploads the pages send),
    /// so a page elsewhere cannot make a signed-in browser change anything.
    /// </summary>
    private static async Task Authenticate(HttpContext c, Func<Task> next)
    {
        var path = c.Request.Path;
        // What anyone may read: the version, the sign-in exchange, and the list of published histories.
        bool open = path.Equals("/api/version") || path.StartsWithSegments("/api/authenticate")
            || (HttpMethods.IsGet(c.Request.Method) && path.Equals("/api/histories/published") && !c.Request.Headers.ContainsKey("x-api-key"));
        if (path.StartsWithSegments("/api") && !open)
        {
            var users = c.RequestServices.GetRequiredService<UserStore>();
            string? key = c.Request.Headers["x-api-key"].FirstOrDefault() ?? c.Request.Query["key"].FirstOrDefault();
            if (!string.IsNullOrEmpty(key)) c.SetUser(users.FindByApiKey(key) ?? throw new ApiException(403, 403001, "the API key is not valid"));
            else if (await WebPages.SignedInUserAsync(c, users) is { } user && await WebPages.MaySendAsync(c)) c.SetUser(user);
            // Reads of a history or dataset go on without a user: the endpoint serves only what is published to anyone.
            else if (!(HttpMethods.IsGet(c.Request.Method) && OpenReads.IsMatch(path.Value ?? "")))
                throw new ApiException(403, 403001, "authentication required: send your API key in the x-api-key header");
        }
        await next();
    }

    private static readonly System.Text.RegularExpressions.Regex OpenReads =
        new("^/api/(datasets/[^/]+(/display)?|histories/[^/]+(/contents(/[^/]+(/display)?)?)?)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Errors as Galaxy reports them: {"err_msg", "err_code"} with the matching status; unexpected ones are logged.</summary>
    private static async Task GalaxyErrors(HttpContext c, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (Exception e) when (!c.Response.HasStarted && e is not OperationCanceledException)
        {
            var (status, code, message) = (DiskSpace.IsFull(e) ? DiskSpace.FullError() : e) switch
            {
                ApiException a => (a.Status, a.Code, a.Message),
                BadHttpRequestException b => (b.StatusCode, b.StatusCode * 1000 + 1, b.Message),
                IOException when c.RequestAborted.IsCancellationRequested => (400, 400001, "the request was cut off"),
                // The details (which may name the server's own files) go to the server's log, not to the client.
                _ => (500, 500001, "internal server error; the server's log has the details"),
            };
            if (status >= 500) c.RequestServices.GetRequiredService<ILogger<WebApplication>>().LogError(e, "{Method} {Path}", c.Request.Method, c.Request.Path);
            c.Response.Clear();
            c.Response.StatusCode = status;
            if (c.Request.Path.StartsWithSegments("/api")) await c.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["err_msg"] = message, ["err_code"] = code });
            else await WebPages.WriteErrorPageAsync(c, status, message);
        }
    }
}
