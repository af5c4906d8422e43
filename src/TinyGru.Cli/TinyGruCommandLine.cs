using System.CommandLine;
using TinyGru.Model;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>The <c>tinygru</c> command tree and its error policy: one line on stderr, exit code 1, no stack trace unless --verbose.</summary>
internal static class TinyGruCommandLine
{
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Show stack traces for errors",
        Recursive = true,
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("TinyGru: small GRU models for C# programs on microcontrollers and edge devices.");
        root.Options.Add(Verbose);
        root.Subcommands.Add(PredictCommand.Create(stdout, stderr));
        root.Subcommands.Add(InspectCommand.Create(stdout, stderr));
        root.Subcommands.Add(ConvertCommand.Create(stdout, stderr));
        root.Subcommands.Add(GenerateCommand.Create(stdout, stderr));
        root.Subcommands.Add(TrainCommand.Create(stdout, stderr));
        root.Subcommands.Add(FinetuneCommand.Create(stdout, stderr));
        root.Subcommands.Add(EvalCommand.Create(stdout, stderr));
        root.Subcommands.Add(QuantizeCommand.Create(stdout, stderr));
        root.Subcommands.Add(DemoCommand.Create(stdout, stderr));
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        var parse = root.Parse(args);
        // A bad flag value (--lr inf) is one line naming it, like every other error, not the help text.
        bool help = args.Any(a => a is "-h" or "--help" or "-?" or "/?" or "/h" or "--version");
        if (parse.Errors.Count > 0 && !help && args.Length > 0)
        {
            stderr.WriteLine("tinygru: error: " + OneLine(parse.Errors[0].Message) + (parse.CommandResult.Command is RootCommand ? " (tinygru --help lists the commands)" : $" (tinygru {parse.CommandResult.Command.Name} --help lists the options)"));
            return 1;
        }
        return parse.Invoke(config);
    }

    /// <summary>Runs a command body, turning expected failures into one-line errors.</summary>
    public static int Guard(ParseResult parse, TextWriter stderr, Func<int> body)
    {
        bool verbose = parse.GetValue(Verbose);
        try
        {
            return body();
        }
        catch (Exception e) when (e is ModelFormatException or CliException or TrainingException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine("tinygru: error: " + OneLine(e.Message));
            if (verbose) stderr.WriteLine(e);
            return 1;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("tinygru: interrupted; no model was written");
            return 130;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"tinygru: internal error: {e.GetType().Name}: {OneLine(e.Message)}" + (verbose ? "" : " (run with --verbose for details; please report it)"));
            if (verbose) stderr.WriteLine(e);
            return 3;
        }
    }

    private static string OneLine(string s) => s.Replace("\r", " ").Replace("\n", " ");
}
