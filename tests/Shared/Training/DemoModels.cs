using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Training;

namespace TinyGru.Tests;

/// <summary>
/// The two models <c>tinygru demo</c> trains (digits and sunspots, the reference settings, seed 1) and their int8
/// versions (calibrated on the training rows), trained in-process so that target tests cover the bundled demo
/// models. Shared by the test projects as a linked file; examples/*.csv are copied next to each test assembly.
/// </summary>
internal static class DemoModels
{
    private static readonly Lazy<IReadOnlyDictionary<string, (GruModel Model, float[] Inputs)>> All = new(Train);

    public static IEnumerable<string> Names => new[] { "digits", "digits-int8", "sunspots", "sunspots-int8" };

    /// <summary>The model and a few test sequences' inputs [T, I] to run it on.</summary>
    public static (GruModel Model, float[] Inputs) Get(string name) => All.Value[name];

    private static IReadOnlyDictionary<string, (GruModel, float[])> Train()
    {
        var result = new Dictionary<string, (GruModel, float[])>();
        foreach (var (name, data, options) in new[] { ("digits", ReferenceTasks.DigitsData, ReferenceTasks.DigitsTraining), ("sunspots", ReferenceTasks.SunspotsData, ReferenceTasks.SunspotsTraining) })
        {
            var job = TrainingJob.Prepare(CsvTable.Read(Path.Combine(AppContext.BaseDirectory, "examples", name + ".csv")), data);
            var model = job.BuildModel(job.Run(options), options, name);
            var ex = job.Examples;
            int length = ex.Steps * ex.InputSize;
            var inputs = job.Split.Test.Take(4).SelectMany(n => ex.Inputs.AsSpan(n * length, length).ToArray()).ToArray();
            result[name] = (model, inputs);
            result[name + "-int8"] = (job.Quantize(model, ModelPrecision.Int8), inputs);
        }
        return result;
    }
}
