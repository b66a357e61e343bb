using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ganymede.Formats;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ganymede.Server.Jobs;

/// <summary>
/// Moves jobs through their states: starts queued jobs while runner slots are free, watches running ones, and
/// finishes them (outputs into datasets, then the job's final state). Everything it needs is in the database
/// and the job folders, so after a restart it picks up where it stopped: queued jobs still run, a job whose
/// process survived is still watched, and one whose process is gone ends in error with the reason.
/// One loop runs <see cref="Tick"/>; it holds no lock, so a job's outputs can take as long as they take to collect
/// while cancellations answer at once: the loop and <see cref="Cancel"/> agree through the job's state transitions,
/// which the store makes atomically (compare and set), so whichever comes second sees the first and backs off.
/// Several servers share one queue: each claims a queued job atomically before starting it, watches only the jobs it
/// started (its <see cref="JobHandler"/>'s), and adopts those of a server gone silent.
/// </summary>
public sealed class JobManager(JobStore jobs, DatasetStore datasets, UserStore users, FileStore files, ToolBox tools, IJobRunner runner,
    JobCompletion completion, JobHandler handler, HandlerStore handlers, ResourceRequests requests, JobSubmission submission, WorkflowStore workflows,
    ServerOptions options, IdCodec ids, ILogger<JobManager> log) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<long, DateTime> _progressSeen = []; // the loop's own

    /// <summary>
    /// Galaxy's job lock, which an administrator sets before maintenance: while it is on, queued jobs wait and running
    /// ones go on. It lasts until turned off or the server restarts.
    /// </summary>
    public bool JobLock
    {
        get => Volatile.Read(ref _jobLock);
        set
        {
            Volatile.Write(ref _jobLock, value);
            if (!value) Wake();
        }
    }

    private bool _jobLock;

    /// <summary>Asks the loop to look at the queue now (after a submission) instead of at its next poll.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs before the server listens: anything half-made by a previous process is reported, not left hanging.
        foreach (var job in jobs.OfHandler(handler.Name, JobStates.New))
            EndNew(job, "the server stopped while the job was being created");
        foreach (var job in jobs.OfHandler(handler.Name, JobStates.Running).Where(j => j.ExternalId is null))
            Fail(job, JobStates.Running, "the server stopped while storing the upload");
        // Jobs of a program from before handlers were kept belong to whichever server starts first.
        TakeOver(handlers.Adopt(null, handler.Name, handler.SilentBefore()), "a server from before job handlers");
        int orphans = datasets.EndOrphans("the server stopped while this output was being collected");
        if (orphans > 0) log.LogWarning("{Count} datasets were left unfinished by a stop and are now in error", orphans);
        // No upload or collection of this server runs yet: whatever sits in its temporary folder was left by a stop.
        files.ClearTemporary();
        files.KeepReserve();
        long lastAdoption = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (Environment.TickCount64 - lastAdoption > options.HandlerTimeout.TotalMilliseconds / 3)
                {
                    lastAdoption = Environment.TickCount64;
                    AdoptFromSilentHandlers();
                }
                Tick();
            }
            catch (Exception e)
            {
                log.LogError(e, "job loop");
            }
            try { await _wake.WaitAsync(TimeSpan.FromMilliseconds(250), stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Takes over the jobs of every handler silent past the timeout (a server that died; or stopped and not back).</summary>
    private void AdoptFromSilentHandlers()
    {
        var before = handler.SilentBefore();
        foreach (var dead in handlers.Silent(before).Where(name => name != handler.Name))
        {
            TakeOver(handlers.Adopt(dead, handler.Name, before), $"server {dead}, silent since before {before} UTC");
            files.ClearTemporary(dead);
        }
    }

    /// <summary>
    /// What the jobs of a dead server become here: those it was making or storing (uploads) fail, as they would on its
    /// restart; those it ran are watched from now on; and those it had claimed go on from the queue, unless it had
    /// already launched them (the runner's id is in the job folder), which are then watched, never launched twice.
    /// </summary>
    private void TakeOver(IReadOnlyList<JobRecord> adopted, string from)
    {
        if (adopted.Count == 0) return;
        log.LogWarning("adopting {Count} jobs of {From}", adopted.Count, from);
        foreach (var job in adopted)
        {
            if (job.State == JobStates.New) EndNew(job, "the server creating the job stopped");
            else if (job.State == JobStates.Running && job.ExternalId is null) Fail(job, JobStates.Running, "the server storing the upload stopped");
            else if (job.State == JobStates.Queued && JobScript.TryReadLaunched(files.JobDirectory(job.Id)) is { } externalId)
                jobs.Transition(job.Id, JobStates.Queued, JobStates.Running, externalId: externalId);
        }
    }

    /// <summary>
    /// A new job its server left: one that a workflow step has recorded is whole, only its queueing was left, and it goes
    /// on; any other was half made, and fails (a workflow makes its step again).
    /// </summary>
    private void EndNew(JobRecord job, string reason)
    {
        if (workflows.StepOfJob(job.Id) is not null) submission.Queue(job);
        else Fail(job, JobStates.New, reason);
    }

    /// <summary>One pass: finish what ended, then start what fits.</summary>
    private void Tick()
    {
        var running = jobs.OfHandler(handler.Name, JobStates.Running);
        var stillRunning = new List<JobRecord>();
        // Upload jobs run inside their request and have no process to watch.
        foreach (var job in running.Where(j => j.ExternalId is not null))
        {
            var dir = files.JobDirectory(job.Id);
            switch (runner.Poll(job.ExternalId ?? "", dir, out int exitCode))
            {
                case RunnerState.Running:
                    stillRunning.Add(job);
                    RefreshProgress(job, dir);
                    break;
                case RunnerState.Exited:
                    RefreshProgress(job, dir);
                    completion.Complete(job, exitCode);
                    break;
                case RunnerState.Lost:
                    Fail(job, JobStates.Running, "the job's process ended without recording an exit code (it was killed, or the machine restarted while it ran)");
                    break;
            }
        }
        // Jobs that ended (finished, cancelled, lost) no longer need their progress watched.
        _progressSeen.Keys.Except(running.Select(j => j.Id)).ToList().ForEach(id => _progressSeen.Remove(id));
        var runningByUser = options.MaxRunningPerUser is null ? [] : jobs.RunningByUser();
        var held = HeldBy(stillRunning);
        int busy = stillRunning.Count;
        foreach (var job in JobLock ? [] : jobs.QueuedFor(handler.Name))
        {
            if (busy >= options.MaxConcurrentJobs) break;
            if (HeldBack(job, runningByUser)) continue;
            if (!TryStart(job, held)) continue;
            busy++;
            runningByUser[job.UserId] = runningByUser.GetValueOrDefault(job.UserId) + 1;
        }
    }

    /// <summary>The cores and GPUs this server's running jobs hold (the local runner's; recorded in their folders when they started).</summary>
    private Placement HeldBy(IEnumerable<JobRecord> running)
    {
        // Read once a pass, not once a queued job: the CPUs this process may use.
        var held = new Placement(runner.PlacesJobs ? [] : Cores.Allowed(), [], []);
        if (runner.PlacesJobs) return held;
        foreach (var job in running)
        {
            var dir = files.JobDirectory(job.Id);
            string Read(string name) => File.Exists(Path.Combine(dir, name)) ? File.ReadAllText(Path.Combine(dir, name)) : "";
            held.Cores.Add(Cores.Parse(Read(JobScript.Cores)));
            held.Gpus.Add(Gpus.Parse(Read(JobScript.GpuIds)));
        }
        return held;
    }

    /// <summary>The CPUs jobs may use, and what running jobs hold of them and of the GPUs: each one's cores, each one's GPUs.</summary>
    private sealed record Placement(IReadOnlyList<int> Allowed, List<IReadOnlyList<int>> Cores, List<IReadOnlyList<string>> Gpus);

    /// <summary>
    /// Where the local runner puts the job: cores and GPUs no running job holds, as many as it asks for; null when too
    /// few are free (it waits, saying so), or when this machine has fewer than it asks for (it fails, saying so).
    /// </summary>
    private (IReadOnlyList<int> Cores, IReadOnlyList<string> Gpus)? Place(JobRecord job, JobResources resources, Placement held)
    {
        var allowed = held.Allowed;
        if (resources.Cores > allowed.Count || resources.Gpus > options.Gpus.Count)
        {
            Fail(job, JobStates.Queued, $"the job asks for {resources}; this server's jobs can have at most {allowed.Count} cores and {options.Gpus.Count} GPUs");
            return null;
        }
        int freeCores = allowed.Count - held.Cores.SelectMany(c => c).Where(allowed.Contains).Distinct().Count();
        var gpus = Gpus.Choose(options.Gpus, held.Gpus, resources.Gpus);
        if (freeCores < resources.Cores || gpus is null)
        {
            static string Count(int n, string what) => $"{n} free {what}{(n == 1 ? "" : "s")}";
            var reason = $"waiting for {Count(resources.Cores, "core")}{(resources.Gpus > 0 ? " and " + Count(resources.Gpus, "GPU") : "")}: "
                + $"{freeCores} of {allowed.Count} cores{(options.Gpus.Count > 0 ? $" and {options.Gpus.Count - held.Gpus.Sum(g => g.Count)} of {options.Gpus.Count} GPUs" : "")} are free";
            if (job.Info != reason) jobs.Hold(job.Id, reason);
            return null;
        }
        return (Cores.Choose(allowed, held.Cores, resources.Cores, start: Environment.ProcessId), gpus);
    }

    /// <summary>Fair share: whether the job's owner already runs as many jobs as one user may; if so the job says so and waits.</summary>
    private bool HeldBack(JobRecord job, Dictionary<long, int> runningByUser)
    {
        if (options.MaxRunningPerUser is not { } most || runningByUser.GetValueOrDefault(job.UserId) < most) return false;
        var reason = $"waiting: {most} of your jobs are running, the most one user may run at once; it starts when one of them ends";
        if (job.Info != reason) jobs.Hold(job.Id, reason);
        return true;
    }

    /// <summary>When the job has written new progress, stores it (which also moves the job's update_time).</summary>
    private void RefreshProgress(JobRecord job, string dir)
    {
        var seen = _progressSeen.GetValueOrDefault(job.Id, DateTime.MinValue);
        if (JobProgress.ReadIfNewer(dir, seen) is not { } progress) return;
        _progressSeen[job.Id] = progress.Written;
        jobs.SetProgress(job.Id, progress.Json);
    }

    private bool TryStart(JobRecord job, Placement held)
    {
        var tool = tools.Find(job.ToolId);
        if (tool is null)
        {
            Fail(job, JobStates.Queued, $"tool {job.ToolId} is no longer installed");
            return false;
        }
        var inputIds = JsonSerializer.Deserialize<Dictionary<string, List<long>>>(job.Inputs)!;
        foreach (var id in inputIds.Values.SelectMany(v => v))
        {
            var d = datasets.Get(id);
            if (d is null || d.Deleted || d.State is DatasetStates.Error or DatasetStates.Discarded or DatasetStates.FailedMetadata)
            {
                Fail(job, JobStates.Queued, $"input dataset {d?.Name ?? id.ToString(System.Globalization.CultureInfo.InvariantCulture)} is {(d is null ? "gone" : d.Deleted ? "deleted" : d.State)}");
                return false;
            }
            if (d.State != DatasetStates.Ok) return false; // an earlier job is still making it
        }
        var resources = requests.For(tool, JsonSerializer.Deserialize<Dictionary<string, JsonNode?>>(job.Params)!);
        (IReadOnlyList<int> Cores, IReadOnlyList<string> Gpus)? placed = runner.PlacesJobs ? ([], []) : Place(job, resources, held);
        if (placed is null) return false;
        if (!jobs.Claim(job.Id, handler.Name)) return false; // another server took it
        try
        {
            var context = Prepare(job, tool, inputIds);
            var commandLine = JobScript.Write(context.Directory, tool.Commands(context), SandboxFor(job, tool, resources, placed.Value.Cores, placed.Value.Gpus));
            held.Cores.Add(placed.Value.Cores);
            held.Gpus.Add(placed.Value.Gpus);
            var externalId = runner.Launch(context.Directory, resources);
            JobScript.RecordLaunched(context.Directory, externalId);
            if (!jobs.Transition(job.Id, JobStates.Queued, JobStates.Running, externalId: externalId, commandLine: commandLine))
            {
                runner.Kill(externalId, context.Directory); // cancelled while starting
                return false;
            }
            foreach (var id in jobs.Outputs(job).Values) datasets.SetState(id, DatasetStates.Running);
            log.LogInformation("job {Job} ({Tool}) started as {External}", job.Id, job.ToolId, externalId);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ApiException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Fail(job, JobStates.Queued, "could not start the job: " + (DiskSpace.IsFull(e) ? DiskSpace.FullError().Message : e.Message));
            return false;
        }
    }

    /// <summary>
    /// The job's sandbox: its user, its limits (its tool's, with the memory and time it asked for), the cores and GPUs
    /// it gets (chosen by <see cref="Place"/> unless the runner places jobs itself, as Slurm does; recorded in the job
    /// folder so that later choices, after a restart too, see them), the environment its commands get, and for a tool
    /// that calls the server, the API channel with a key of its own.
    /// </summary>
    private Sandbox SandboxFor(JobRecord job, Tool tool, JobResources resources, IReadOnlyList<int> cores, IReadOnlyList<string> gpus)
    {
        var dir = files.JobDirectory(job.Id);
        File.WriteAllText(Path.Combine(dir, JobScript.Cores), Cores.Format(cores));
        File.WriteAllText(Path.Combine(dir, JobScript.GpuIds), Gpus.Format(gpus));
        string slots = resources.Cores.ToString(CultureInfo.InvariantCulture);
        var environment = Sandbox.BaseEnvironment();
        environment["GANYMEDE_JOB_ID"] = job.Id.ToString(CultureInfo.InvariantCulture);
        environment["GANYMEDE_SLOTS"] = slots;
        // Trainings report their progress there (Ganymede.Segmentation.TrainingReport); the loop stores it.
        environment["GANYMEDE_PROGRESS_FILE"] = Sandbox.WorkDirectory + "/" + JobScript.Progress;
        // The engine's oneDNN (OpenMP) and OpenBLAS threads stay within the job's cores.
        environment["OMP_NUM_THREADS"] = slots;
        environment["OPENBLAS_NUM_THREADS"] = slots;
        // As Slurm without device confinement does: the job sees the machine's GPUs and uses those it was given.
        if (gpus.Count > 0)
        {
            environment["CUDA_VISIBLE_DEVICES"] = Gpus.Format(gpus);
            environment["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";
        }
        string? apiSocket = null;
        var secrets = new Dictionary<string, string>();
        if (tool.UsesApi)
        {
            secrets[ApiChannel.KeyVariable] = users.CreateJobKey(job.Id, job.UserId);
            environment[ApiChannel.SocketVariable] = ApiChannel.SocketInSandbox;
            environment[ApiChannel.HistoryVariable] = ids.Encode(job.HistoryId);
            apiSocket = ApiChannel.SocketPath(files.Root, handler.Name);
        }
        var limits = options.LimitsFor(job.ToolId) with { MemoryBytes = resources.MemoryBytes, WallTime = resources.WallTime };
        return new Sandbox(Sandbox.NameFor(files.Root, job.Id), Sandbox.UidFor(job.Id), limits, Cores.Format(cores),
            Sandbox.ProgramDirectoriesOf(options.GanymedeCommand), environment, apiSocket, secrets,
            gpus.Count > 0 ? Gpus.DeviceFiles(options.Gpus) : [], RunnerGpus: runner.PlacesJobs ? resources.Gpus : 0);
    }

    /// <summary>
    /// A fresh job folder with a copy of every input at the path the tool expects: a copy, so that nothing the job does
    /// to its inputs reaches the stored datasets. The staged inputs are listed beside the work folder (inputs.json) for
    /// the job's completion.
    /// </summary>
    private JobContext Prepare(JobRecord job, Tool tool, Dictionary<string, List<long>> inputIds)
    {
        var dir = files.JobDirectory(job.Id);
        if (Directory.Exists(dir))
        {
            // A start cut short by a stop: its folder goes, unless the job had begun (its supervisor wrote the start
            // time), whose folder is kept beside the new one, so that nothing a job did is erased unseen.
            if (File.Exists(Path.Combine(dir, JobScript.Started))) Directory.Move(dir, $"{dir}.earlier-{DateTime.UtcNow:yyyyMMddTHHmmssfff}");
            else Directory.Delete(dir, recursive: true);
        }
        var work = Path.Combine(dir, "work");
        Directory.CreateDirectory(Path.Combine(work, "outputs"));
        var parameters = JsonSerializer.Deserialize<Dictionary<string, JsonNode?>>(job.Params)!;
        var dataPaths = tool is RunScriptTool ? RunScriptTool.DataPaths(parameters) : [];
        var staged = new Dictionary<string, IReadOnlyList<StagedInput>>();
        foreach (var (name, list) in inputIds)
        {
            var inputs = new List<StagedInput>();
            for (int i = 0; i < list.Count; i++)
            {
                var d = datasets.Get(list[i])!;
                string relative = name == "ml_h5_datasets" && i < dataPaths.Length
                    ? RunScriptTool.SafeRelativePath(dataPaths[i])
                    : $"inputs/{name}/{i}/{SafeFileName(d.Name, d.Extension)}";
                var target = Path.GetFullPath(Path.Combine(work, relative));
                if (!target.StartsWith(work + "/", StringComparison.Ordinal)) throw ApiException.BadRequest($"input path {relative} leaves the job folder");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(files.DatasetPath(d.Id), target);
                inputs.Add(new StagedInput(relative, d.Name, d.Extension));
            }
            staged[name] = inputs;
        }
        File.WriteAllText(Path.Combine(dir, JobScript.StagedInputs), JsonSerializer.Serialize(staged));
        return new JobContext { JobId = job.Id, Directory = dir, Ganymede = options.GanymedeCommand, Inputs = staged, Parameters = parameters,
            EntryPath = Sessions.NotebookSessions.EntryPath(ids.Encode(job.Id)) };
    }

    /// <summary>A dataset name as a file name: safe characters only, ending in the dataset's extension (tools read it to pick the format).</summary>
    public static string SafeFileName(string name, string extension)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).TrimStart('.');
        if (safe.Length == 0) safe = "dataset";
        if (safe.Length > 100) safe = safe[..100];
        return extension is "data" or "" || safe.EndsWith("." + extension, StringComparison.OrdinalIgnoreCase) ? safe : safe + "." + extension;
    }

    /// <summary>
    /// Cancels a job that has not finished (DELETE /api/jobs/{id}); its outputs become discarded. A job whose outputs
    /// are being collected at that moment is cancelled too: the collection's own final transition then fails, and it
    /// discards what it stored.
    /// </summary>
    public bool Cancel(JobRecord job)
    {
        // The job loop may move the job on (queued to running) between the read and the transition: then read it again.
        while (jobs.Get(job.Id) is { } current && !JobStates.IsTerminal(current.State))
        {
            if (!jobs.Transition(job.Id, current.State, JobStates.Deleted, info: "cancelled")) continue;
            if (current.State == JobStates.Running && current.ExternalId is { } external) runner.Kill(external, files.JobDirectory(job.Id));
            completion.Discard(current, "the job was cancelled");
            return true;
        }
        return false;
    }

    private bool Fail(JobRecord job, string from, string reason)
    {
        if (!jobs.Transition(job.Id, from, JobStates.Error, info: reason)) return false;
        foreach (var id in jobs.Outputs(job).Values)
            if (datasets.Get(id) is { } d && !DatasetStates.Terminal.Contains(d.State)) datasets.SetState(id, DatasetStates.Error, reason);
        log.LogWarning("job {Job} ({Tool}) failed: {Reason}", job.Id, job.ToolId, reason);
        return true;
    }

    /// <summary>The end of a job's stdout or stderr, at most <paramref name="maxBytes"/> (GET /api/jobs/{id}?full=True).</summary>
    public string ReadLog(long jobId, string stream, int maxBytes = 1 << 20)
    {
        var path = Path.Combine(files.JobDirectory(jobId), stream == "stdout" ? JobScript.Stdout : JobScript.Stderr);
        if (!File.Exists(path)) return "";
        using var s = File.OpenRead(path);
        if (s.Length > maxBytes) s.Seek(-maxBytes, SeekOrigin.End);
        using var reader = new StreamReader(s);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The file a running job writes its metrics to (<see cref="Tool.LiveMetrics"/>), opened as untrusted: null when
    /// there is none yet, or when it or a folder on its way is not what it should be (a link could point anywhere).
    /// </summary>
    public Stream? OpenLiveMetrics(JobRecord job)
    {
        if (LiveMetricsPath(job) is not { } path) return null;
        var work = Path.Combine(files.JobDirectory(job.Id), "work");
        for (var folder = Path.GetDirectoryName(path)!; folder != work; folder = Path.GetDirectoryName(folder)!)
            if (!Directory.Exists(folder) || new DirectoryInfo(folder).LinkTarget is not null) return null;
        try { return File.Exists(path) ? UntrustedFiles.OpenRegular(path, Path.GetRelativePath(work, path)) : null; }
        catch (IOException) { return null; }
    }

    private string? LiveMetricsPath(JobRecord job) =>
        tools.Find(job.ToolId)?.LiveMetrics is { } relative ? Path.Combine(files.JobDirectory(job.Id), "work", "outputs", relative) : null;

    /// <summary>What changes as a job runs (its state, its logs' and metrics' sizes), to tell a page it has something new to show.</summary>
    public string Version(JobRecord job)
    {
        var dir = files.JobDirectory(job.Id);
        long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : -1;
        var metrics = LiveMetricsPath(job) is { } path ? Size(path) : -1;
        return $"{job.State}|{job.UpdateTime}|{Size(Path.Combine(dir, JobScript.Stdout))}|{Size(Path.Combine(dir, JobScript.Stderr))}|{metrics}";
    }

    /// <summary>Galaxy's job metrics for GET /api/jobs/{id}/metrics.</summary>
    public List<Dictionary<string, object?>> Metrics(JobRecord job) =>
        JobProgress.Metrics(job, files.JobDirectory(job.Id), tools.Find(job.ToolId) is { } tool
            ? requests.For(tool, JsonSerializer.Deserialize<Dictionary<string, JsonNode?>>(job.Params) ?? []) : null);
}
