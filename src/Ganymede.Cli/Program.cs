using Ganymede.Cli;

return GanymedeCommands.Root().Parse(args).Invoke();
