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
        new("csv", Csv, e => e is TrainingException || e.GetType().Name == "CliException"),
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

    private static void Csv(byte[] bytes)
    {
        var text = new UTF8Encoding(false).GetString(bytes);
        // The training reader with its default reading (sequences, label = last column) ...
        var table = CsvTable.Parse(text, "fuzz.csv");
        SequenceExamples.Load(table, new DataSpec());
    }
}
