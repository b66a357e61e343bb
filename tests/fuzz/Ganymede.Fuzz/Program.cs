using Ganymede.Fuzz;

// Ganymede.Fuzz TARGET                  run under afl-fuzz (bench/fuzz.sh), one input per run from the fork server
// Ganymede.Fuzz TARGET --replay PATH... run files (or every file in folders) in this process: the regression check
if (args.Length == 0 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Ganymede.Fuzz TARGET [--replay FILE_OR_FOLDER...]; targets: {string.Join(", ", Targets.All.Keys)}");
    return 2;
}
if (args.Length > 1 && args[1] == "--replay")
{
    var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
    int crashed = 0;
    foreach (var file in files)
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            crashed++;
            Console.Error.WriteLine($"{args[0]}: {file} crashes the target: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }
    Console.WriteLine($"{args[0]}: {files.Count} input(s) replayed, {crashed} crash(es)");
    return crashed == 0 ? 0 : 1;
}
SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
{
    using var bytes = new MemoryStream();
    stream.CopyTo(bytes);
    target(bytes.ToArray());
});
return 0;
