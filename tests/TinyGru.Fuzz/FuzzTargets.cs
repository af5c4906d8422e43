using System.Text;
using TinyGru.Model;
using TinyGru.Model.Safetensors;
using TinyGru.Runtime;
using TinyGru.Training;

namespace TinyGru.Fuzz;

/// <summary>One reader under test: what it does with an input and which exceptions are its one-line errors.</summary>
public sealed record FuzzTarget(string Name, Action<byte[]> Execute, Func<Exception, bool> IsExpectedError);

/// <summary>The readers: safetensors (either kind), the TinyGru file reader on its own, ONNX protobuf, CSV.</summary>
public static class FuzzTargets
{
    private static readonly FuzzTarget[] All =
    {
        // Content decides the format, as in every command; a model that loads is also stepped once, so a "valid"
        // model is one the runtime can actually run.
        new("safetensors", bytes => Step(ModelLoader.Load(bytes, "fuzz.safetensors")), e => e is ModelFormatException),
        new("tinygru", bytes => Step(TinyGruModelFile.Read(SafetensorsFile.Parse(bytes, "fuzz.safetensors"))), e => e is ModelFormatException),
        new("onnx", bytes => Step(ModelLoader.Load(bytes, "fuzz.onnx")), e => e is ModelFormatException),
        new("csv", Csv, IsCsvError),
    };

    public static IEnumerable<string> Names => All.Select(t => t.Name);

    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"unknown target '{name}'; targets: {string.Join(", ", Names)}");

    private static void Step(GruModel model)
    {
        var engine = ReferenceEngines.Create(model);
        var y = new float[model.OutputSize];
        engine.Step(new float[model.InputSize], y);
    }

    /// <summary>An error caught inside a target still has to be one short line.</summary>
    private static void CheckMessage(Exception e)
    {
        if (e.Message.Contains('\n') || e.Message.Contains('\r') || e.Message.Length > 1000)
            throw new FuzzFindingException($"not a one-line error ({e.Message.Length} characters): {e.Message[..Math.Min(200, e.Message.Length)]}");
    }

    private static bool IsCsvError(Exception e) => e is TrainingException || e.GetType().Name == "CliException";

    private static void Csv(byte[] bytes)
    {
        var text = new UTF8Encoding(false).GetString(bytes);
        // The training reader with its default reading (sequences, label = last column) ...
        try
        {
            var table = CsvTable.Parse(text, "fuzz.csv");
            SequenceExamples.Load(table, new DataSpec());
        }
        catch (Exception e) when (IsCsvError(e)) { CheckMessage(e); }
        // ... and predict's streaming row reader, for a 3-input model, every column and then picked by name.
        foreach (var (inputs, features) in new[] { (3, (string[]?)null), (2, new[] { "b", "3" }) })
        {
            try
            {
                using var reader = new StringReader(text);
                var rows = new TinyGru.Cli.CsvRowReader(reader, "fuzz.csv", inputs, features);
                while (rows.Read()) { }
            }
            catch (Exception e) when (IsCsvError(e)) { CheckMessage(e); }
        }
    }
}
