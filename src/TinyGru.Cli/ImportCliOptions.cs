using System.CommandLine;
using System.Globalization;
using TinyGru.Model;

namespace TinyGru.Cli;

/// <summary>
/// The options that supply what a model file cannot say (<c>--head-activations</c>, <c>--ignore-tensor</c>), shared by
/// the commands that read foreign model files.
/// </summary>
internal sealed class ImportCliOptions
{
    public Option<string?> HeadActivations { get; } = new("--head-activations")
    {
        Description = "One activation per dense layer after the GRU, comma-separated (none, relu, tanh, sigmoid; the last also softmax), e.g. relu,softmax. A PyTorch state_dict does not record them",
    };

    public Option<string[]> IgnoreTensors { get; } = new("--ignore-tensor")
    {
        Description = "State_dict tensor to skip (exact name or a * pattern, e.g. 'scaler.*'); repeatable",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(HeadActivations);
        command.Options.Add(IgnoreTensors);
    }

    public ImportOptions Parse(ParseResult parse)
    {
        HeadActivation[]? activations = null;
        if (parse.GetValue(HeadActivations) is { } text)
        {
            activations = Activations.ParseList(text, out string? error) ?? throw new CliException($"--head-activations: {error}");
            int softmax = Array.IndexOf(activations, HeadActivation.Softmax);
            if (softmax >= 0 && softmax < activations.Length - 1)
                throw new CliException($"--head-activations: softmax is entry {softmax + 1} of {activations.Length}; softmax is supported only on the last dense layer");
        }
        return new ImportOptions(activations, parse.GetValue(IgnoreTensors));
    }

    /// <summary>
    /// A per-feature vector from the command line: comma-separated numbers, or a CSV file of them (one row, optionally
    /// under a header, or one column). <paramref name="option"/> names the option in errors.
    /// </summary>
    public static float[] ParseVector(string option, string text, int expected, string what)
    {
        float[] values;
        if (File.Exists(text))
        {
            // The data-set reader: bounded, one-line errors; a header row is allowed.
            var table = TinyGru.Training.CsvTable.Read(text);
            int rows = table.Rows.Count, columns = rows == 0 ? 0 : table.Rows[0].Length;
            if (rows != 1 && columns != 1)
                throw new CliException($"{option}: {text} has {rows} rows of {columns} values; expected one row (or one column) of {expected} {what}");
            values = new float[rows * columns];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    if (!TinyGru.Training.CsvTable.TryNumber(table.Rows[r][c], out values[r * columns + c]))
                        throw new CliException($"{option}: {text}: {table.Where(r, c)} is '{TinyGru.Training.CsvTable.Echo(table.Rows[r][c])}'; expected a finite number");
        }
        else
        {
            var parts = text.Split(',');
            values = new float[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!float.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || float.IsNaN(values[i]) || float.IsInfinity(values[i]))
                    throw new CliException($"{option}: entry {i + 1} is '{parts[i].Trim()}'; expected a finite number (or the path of a CSV file)");
            }
        }
        if (values.Length != expected)
            throw new CliException($"{option}: {values.Length} values; the model needs {expected} {what}");
        return values;
    }
}
