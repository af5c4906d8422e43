using System.Runtime.CompilerServices;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.Generator.IntegrationTests;

/// <summary>
/// The quantized fixture files (format version 2, I8 tensors) this project generates code from are written by this
/// helper, never by hand: <c>TINYGRU_UPDATE_FIXTURES=1 dotnet test tests/TinyGru.Generator.IntegrationTests</c>
/// rewrites them; otherwise the test checks that the committed bytes are still what the helper writes.
/// </summary>
public class QuantizedFixtures
{
    internal static string Folder([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "fixtures"));

    private static IEnumerable<float[]> Rows(ReferenceFixture f) =>
        Enumerable.Range(0, f.Steps).Select(t => f.X.AsSpan(t * f.InputSize, f.InputSize).ToArray());

    /// <summary>File name → quantized model: int8 calibrated on the fixture's inputs, and int8-weights.</summary>
    internal static IEnumerable<(string File, GruModel Model)> All()
    {
        var small = ModelLoader.Load(Path.Combine(Folder(), "gru_small.safetensors"));
        yield return ("gru_small_int8.safetensors", ModelQuantizer.Quantize(small, ModelPrecision.Int8, CalibrationRange.Observe(small, Rows(ReferenceFixture.Load("gru_small")))));
        yield return ("gru_small_int8w.safetensors", ModelQuantizer.Quantize(small, ModelPrecision.Int8Weights));
        var before = ModelLoader.Load(Path.Combine(Folder(), "gru_reset_before.onnx"));
        yield return ("gru_reset_before_int8.safetensors", ModelQuantizer.Quantize(before, ModelPrecision.Int8, CalibrationRange.Observe(before, Rows(ReferenceFixture.Load("gru_reset_before")))));
    }

    [Fact]
    public void CommittedFilesAreWhatTheHelperWrites()
    {
        bool update = Environment.GetEnvironmentVariable("TINYGRU_UPDATE_FIXTURES") == "1";
        foreach (var (file, model) in All())
        {
            var bytes = TinyGruModelFile.Serialize(model);
            string path = Path.Combine(Folder(), file);
            if (update) File.WriteAllBytes(path, bytes);
            Assert.True(File.Exists(path), $"{file} is missing; run with TINYGRU_UPDATE_FIXTURES=1");
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(path)), $"{file} is not what the helper writes; run with TINYGRU_UPDATE_FIXTURES=1");
            Assert.Equal(model.Precision, ModelLoader.Load(path).Precision);
        }
    }
}
