using System.CommandLine;
using TinyGru.Cli;

return TinyGruCommandLine.Run(args, Console.Out, Console.Error);
