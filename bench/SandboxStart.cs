#:project ../src/Ganymede.Server/Ganymede.Server.csproj
#:property PublishAot=false
// What the job sandbox costs (a benchmark, not a test): the same job run N times as the server runs it (job.sh:
// control groups, bubblewrap, setpriv) and as a bare `setsid bash` would, alternating, each timed from the launch
//   1. until its command begins (the sandbox's start), with a command that only records the time;
//   2. until its exit code is written (end to end), with a C# script job: `ganymede script run` of a one-line script.
// Run as root: dotnet run -c Release bench/SandboxStart.cs -- [N=20] [path/to/ganymede.dll=.artifacts/cli/ganymede.dll]
using System.Diagnostics;
using System.Globalization;
using Ganymede.Server.Jobs;

int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
string dll = Path.GetFullPath(args.Length > 1 ? args[1] : ".artifacts/cli/ganymede.dll");
if (!File.Exists(dll)) { Console.Error.WriteLine($"{dll} not found: build it with ./ganymede info"); return 1; }
string[] ganymede = ["/usr/bin/dotnet", dll];
var root = Directory.CreateTempSubdirectory("ganymede-sandbox-bench-").FullName;
var runner = new LocalRunner();
try
{
    var began = new Dictionary<string, List<double>> { ["bare"] = [], ["sandbox"] = [] };
    var ended = new Dictionary<string, List<double>> { ["bare"] = [], ["sandbox"] = [] };
    for (int i = 0; i < runs; i++)
        foreach (var kind in new[] { "bare", "sandbox" })
        {
            began[kind].Add(Time(kind, $"start-{i}", ["bash", "-c", "date +%s.%N > began"], untilBegan: true));
            ended[kind].Add(Time(kind, $"script-{i}", [.. ganymede, "script", "run", "hello.csx"], untilBegan: false));
        }
    Console.WriteLine($"{runs} runs each, medians in ms (launch until the command begins; until a one-line C# script job's exit code)");
    foreach (var kind in new[] { "bare", "sandbox" })
        Console.WriteLine($"{kind,-8} start {Median(began[kind]),7:F1}   script job {Median(ended[kind]),7:F1}");
    Console.WriteLine($"sandbox adds {Median(began["sandbox"]) - Median(began["bare"]):F1} ms to a job's start, " +
        $"{Median(ended["sandbox"]) - Median(ended["bare"]):F1} ms to a script job (ratio {Median(ended["sandbox"]) / Median(ended["bare"]):F2})");
    return 0;
}
finally
{
    Directory.Delete(root, recursive: true);
}

double Time(string kind, string name, string[] command, bool untilBegan)
{
    var dir = Path.Combine(root, kind, name);
    var work = Path.Combine(dir, "work");
    Directory.CreateDirectory(work);
    File.WriteAllText(Path.Combine(work, "hello.csx"), "Console.WriteLine(6 * 7);\n");
    var watch = Stopwatch.StartNew();
    double launchedAt = DateTime.UtcNow.Subtract(DateTime.UnixEpoch).TotalSeconds;
    if (kind == "sandbox")
    {
        var sandbox = new Sandbox(Sandbox.NameFor(root, name), Sandbox.UidFor(999_000), JobLimits.Default, "",
            Sandbox.ProgramDirectoriesOf(ganymede), Sandbox.BaseEnvironment());
        JobScript.Write(dir, [command], sandbox);
        runner.Launch(dir);
    }
    else
    {
        // What a job was before its sandbox: its command under bash in its own session, the exit code written last.
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = work, UseShellExecute = false };
        foreach (var a in (string[])["bash", "-c", string.Join(' ', command.Select(JobScript.Quote)) + " > ../stdout.txt; echo $? > ../exit_code"]) start.ArgumentList.Add(a);
        Process.Start(start)!.Dispose();
    }
    string exitCode = Path.Combine(dir, JobScript.ExitCode), beganFile = Path.Combine(work, "began");
    while (!File.Exists(exitCode)) Thread.Sleep(1);
    if (untilBegan)
        return (double.Parse(File.ReadAllText(beganFile), CultureInfo.InvariantCulture) - launchedAt) * 1000;
    if (!File.ReadAllText(Path.Combine(dir, JobScript.Stdout)).Contains("42", StringComparison.Ordinal)) throw new InvalidOperationException($"{kind} script job failed: see {dir}");
    return watch.Elapsed.TotalMilliseconds;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
