using Ganymede.Cli;

var parsed = GanymedeCommands.Root().Parse(args);
// A wrong command line gets one line of error and one of usage, not the whole help.
if (parsed.Errors.Count > 0) return Cli.Usage(parsed);
return parsed.Invoke();
