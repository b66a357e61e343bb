using System.CommandLine;
using Ganymede.Server;
using Ganymede.Server.Jobs;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;

namespace Ganymede.Cli.Commands;

/// <summary>`ganymede serve` (the Galaxy-compatible server) and `ganymede users create` (accounts and API keys).</summary>
internal static class ServeCommand
{
    private static Option<string> DataDir() => new("--data-dir") { Description = "where the server keeps its datasets and job folders (and its SQLite database)", DefaultValueFactory = _ => "ganymede-data" };

    private static Option<string?> DatabaseUrl() => new("--database")
    {
        Description = $"the database: postgresql://USER:PASSWORD@HOST:PORT/DB, shared by several servers (default: ${Database.UrlVariable}, else SQLite in the data directory)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(Database.UrlVariable),
    };

    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "address(es) to listen on, separated by ';'", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var dataDir = DataDir();
        var database = DatabaseUrl();
        var handlerName = new Option<string>("--handler-name")
        {
            Description = "this server's name among the servers of one --database (each needs its own; a restart under the same name goes on with its jobs)",
            DefaultValueFactory = _ => JobHandler.DefaultName(),
        };
        var handlerTimeout = new Option<int>("--handler-timeout")
        {
            Description = "seconds a server of the database may be silent before the others adopt its jobs", DefaultValueFactory = _ => 30,
        };
        var jobs = new Option<int>("--max-jobs") { Description = "jobs that may run at once (each gets GANYMEDE_SLOTS cores)", DefaultValueFactory = _ => 1 };
        var coresPerJob = new Option<int?>("--cores-per-job")
        {
            Description = "the cores (GANYMEDE_SLOTS, and the engine's threads) a job gets unless its tool or its user asks otherwise; default: this machine's cores over --max-jobs",
        };
        var perUser = new Option<int?>("--max-running-per-user")
        {
            Description = "jobs one user may have running at once on all servers together (fair share; the rest wait in the queue, saying why); default: no limit",
        };
        var version = new Option<string>("--galaxy-version") { Description = "the Galaxy version to report; below 22.01 BioBlend uploads in one multipart request, from 22.01 with tus", DefaultValueFactory = _ => "23.1" };
        var runner = new Option<string>("--runner") { Description = "where jobs run: local (processes here) or slurm (sbatch; the nodes must share the data directory's path)", DefaultValueFactory = _ => "local" };
        runner.AcceptOnlyFromAmong("local", "slurm");
        var partition = new Option<string?>("--slurm-partition") { Description = "the Slurm partition for jobs (default: the cluster's default)" };
        var limits = new Option<string?>("--job-limits") { Description = "what each job may use, e.g. memory=8GiB,processes=1024,time=72h,disk=20GiB (these are the defaults; name only what you change)" };
        var toolLimits = new Option<string[]>("--tool-limit") { Description = "limits for one tool's jobs, in place of --job-limits: TOOL_ID:memory=16GiB,time=7d (repeatable)" };
        var maxResources = new Option<string?>("--job-resource-max")
        {
            Description = "let users ask for resources in each tool's __job_resource section, up to these maxima, e.g. cores=16,memory=64GiB,time=7d,gpus=2 "
                + "(what it leaves out: this machine's cores and GPUs, --job-limits' memory and time); without it every job gets its tool's defaults",
        };
        var gpus = new Option<string?>("--gpus") { Description = "the GPUs the local runner hands out to jobs that ask for them, e.g. 0,1, or none (default: those at /dev/nvidiaN)" };
        var quota = new Option<string?>("--quota") { Description = "what each user may store and run at once, e.g. storage=100GiB,jobs=4 (default: no quota); `users quota` sets one user's" };
        var registration = new Option<bool>("--allow-registration") { Description = "let anyone create an account on the sign-in page (default: administrators create accounts)" };
        var pathPaste = new Option<string?>("--allow-path-paste") { Description = "a folder whose files administrators may add to data libraries by their server path (default: none)" };
        var minPassword = new Option<int>("--min-password-length")
        {
            Description = $"the shortest password accounts made through the server may have (default {Passwords.DefaultMinimum}; Galaxy's is {Passwords.GalaxyMinimum})",
            DefaultValueFactory = _ => Passwords.DefaultMinimum,
        };
        var command = new Command("serve", "Run the server: Galaxy's API for histories, datasets, tools and jobs (BioBlend works unchanged).")
        {
            urls, dataDir, database, handlerName, handlerTimeout, jobs, coresPerJob, perUser, version, runner, partition, limits, toolLimits, maxResources, gpus, quota,
            registration, pathPaste, minPassword,
        };
        command.SetAction(result => Cli.Run(() =>
        {
            if (result.GetValue(jobs) < 1) throw new ArgumentException("--max-jobs must be at least 1");
            int cores = Cores.Allowed().Count;
            if (result.GetValue(coresPerJob) is { } perJob && (perJob < 1 || perJob > cores))
                throw new ArgumentException($"--cores-per-job must be between 1 and this machine's {cores} cores");
            if (result.GetValue(perUser) is < 1) throw new ArgumentException("--max-running-per-user must be at least 1");
            if (result.GetValue(handlerTimeout) < 3) throw new ArgumentException("--handler-timeout must be at least 3 seconds");
            if (result.GetValue(minPassword) < Passwords.GalaxyMinimum) throw new ArgumentException($"--min-password-length must be at least {Passwords.GalaxyMinimum}");
            var jobLimits = JobLimits.Default.With(result.GetValue(limits) ?? "");
            var gpuIds = result.GetValue(gpus) switch { null => Gpus.Present(), "none" => [], var list => Gpus.Parse(list) };
            var options = new ServerOptions
            {
                Urls = result.GetValue(urls)!, DataDirectory = result.GetValue(dataDir)!, Database = result.GetValue(database),
                HandlerName = JobHandler.CheckName(result.GetValue(handlerName)!), HandlerTimeout = TimeSpan.FromSeconds(result.GetValue(handlerTimeout)), MaxConcurrentJobs = result.GetValue(jobs), MaxRunningPerUser = result.GetValue(perUser),
                SlotsPerJob = result.GetValue(coresPerJob) ?? Math.Max(1, cores / result.GetValue(jobs)), VersionMajor = result.GetValue(version)!,
                Runner = result.GetValue(runner)!, SlurmPartition = result.GetValue(partition),
                JobLimits = jobLimits, ToolLimits = PerTool(jobLimits, result.GetValue(toolLimits) ?? []), Gpus = gpuIds,
                MaxResources = result.GetValue(maxResources) is { } most
                    ? ResourceRequests.MachineMaxima(jobLimits, gpuIds).With(most) : null,
                Quota = UserQuota.Unlimited.With(result.GetValue(quota) ?? ""),
                AllowRegistration = result.GetValue(registration),
                PathPasteDirectory = result.GetValue(pathPaste) is { } dir ? Path.GetFullPath(dir) : null,
                MinPasswordLength = result.GetValue(minPassword),
            };
            var app = GanymedeServer.Build(options);
            Console.WriteLine($"ganymede server on {options.Urls}, data in {Path.GetFullPath(options.DataDirectory)}; create a user with: ./ganymede users create --email YOU@EXAMPLE --data-dir {options.DataDirectory}");
            app.Run();
        }));
        return command;
    }

    /// <summary>--tool-limit TOOL:SETTINGS, each applied over the server's job limits.</summary>
    private static Dictionary<string, JobLimits> PerTool(JobLimits defaults, IEnumerable<string> settings) =>
        settings.Select(s => s.Split(':', 2) is [var tool, var text] && tool.Length > 0 ? (Tool: tool, Limits: defaults.With(text))
                : throw new ArgumentException($"--tool-limit {s}: expected TOOL_ID:memory=16GiB,..."))
            .ToDictionary(p => p.Tool, p => p.Limits);

    public static Command Users()
    {
        var email = new Option<string>("--email") { Description = "the user's e-mail address (their login name)", Required = true };
        var admin = new Option<bool>("--admin") { Description = "may see every user's jobs" };
        var password = new Option<bool>("--password") { Description = "read a password for the web pages from standard input (one line; at least 8 characters)" };
        var dataDir = DataDir();
        var databaseUrl = DatabaseUrl();
        var create = new Command("create", "Create a user; prints the new API key as the last line.") { email, admin, password, dataDir, databaseUrl };
        create.SetAction(result => Cli.Run(() =>
        {
            // Read and checked first: a bad password creates nothing. Never an argument, which every process could read.
            string? hash = result.GetValue(password) ? Passwords.Hash(Console.In.ReadLine() ?? throw new ArgumentException("--password: no password on standard input")) : null;
            var (_, database) = GanymedeServer.OpenDataDirectory(result.GetValue(dataDir)!, result.GetValue(databaseUrl));
            var users = new UserStore(database);
            var (user, key) = users.Create(result.GetValue(email)!, result.GetValue(admin));
            if (hash is not null) users.SetPasswordHash(user.Id, hash);
            Console.WriteLine($"created user {user.Email}{(user.IsAdmin ? " (admin)" : "")}; API key:");
            Console.WriteLine(key);
        }));
        return new Command("users", "Manage the server's users.") { create, Password(), Quota() };
    }

    /// <summary>`ganymede users password`: sets a user's password for the web pages, read from standard input.</summary>
    private static Command Password()
    {
        var email = new Option<string>("--email") { Description = "the user's e-mail address", Required = true };
        var dataDir = DataDir();
        var databaseUrl = DatabaseUrl();
        var command = new Command("password", "Set a user's password for the web pages (one line on standard input; at least 8 characters).") { email, dataDir, databaseUrl };
        command.SetAction(result => Cli.Run(() =>
        {
            var hash = Passwords.Hash(Console.In.ReadLine() ?? throw new ArgumentException("no password on standard input"));
            var (_, database) = GanymedeServer.OpenDataDirectory(result.GetValue(dataDir)!, result.GetValue(databaseUrl));
            var users = new UserStore(database);
            var user = users.FindByEmail(result.GetValue(email)!) ?? throw new ArgumentException($"no user with e-mail {result.GetValue(email)}");
            users.SetPasswordHash(user.Id, hash);
            Console.WriteLine($"{user.Email} may now sign in to the web pages");
        }));
        return command;
    }

    /// <summary>`ganymede users quota`: an administrator's quota for one user, over the server's --quota.</summary>
    private static Command Quota()
    {
        var email = new Option<string>("--email") { Description = "the user's e-mail address", Required = true };
        var settings = new Option<string>("--set")
        {
            Description = "the user's quota, e.g. storage=500GiB,jobs=8 (none lifts one); 'default' returns the user to the server's --quota", Required = true,
        };
        var dataDir = DataDir();
        var databaseUrl = DatabaseUrl();
        var command = new Command("quota", "Set one user's storage and jobs quota.") { email, settings, dataDir, databaseUrl };
        command.SetAction(result => Cli.Run(() =>
        {
            var (_, database) = GanymedeServer.OpenDataDirectory(result.GetValue(dataDir)!, result.GetValue(databaseUrl));
            var users = new UserStore(database);
            var user = users.FindByEmail(result.GetValue(email)!) ?? throw new ArgumentException($"no user with e-mail {result.GetValue(email)}");
            var text = result.GetValue(settings)!.Trim();
            string? stored = text == "default" ? null : text;
            _ = UserQuota.Unlimited.With(stored ?? ""); // refuses bad settings before they are stored
            users.SetQuota(user.Id, stored);
            Console.WriteLine(stored is null ? $"{user.Email} follows the server's --quota" : $"{user.Email}: {stored}; what this does not name follows the server's --quota");
        }));
        return command;
    }
}
