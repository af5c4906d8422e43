using System.Text.RegularExpressions;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>Every array the generated code embeds is read by some path: no dead weights in the image.</summary>
public class EmbeddedDataTests
{
    [Theory]
    [InlineData(16, 64, 2, false)] // medium: the 256- and 128-bit paths read their own copies
    [InlineData(16, 64, 2, true)]
    [InlineData(6, 32, 1, false)]  // small: only the 128-bit path has copies
    [InlineData(3, 8, 1, false)]   // tiny: register-resident, no copies
    public void EveryEmbeddedArrayIsReadAndTheNarrowPathsReadTheirOwnCopies(int inputs, int hidden, int layers, bool int8Weights)
    {
        var model = RandomModels.Create(new Random(hidden), GateConvention.ResetAfter, inputs, Enumerable.Repeat(hidden, layers).ToArray(), 4, HeadActivation.None);
        if (int8Weights) model = ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights);
        string source = NetModelEmitter.Emit(model, new NetEmitOptions { TypeName = "M", SourceName = "m.safetensors" });

        var arrays = Regex.Matches(source, @"private static global::System\.ReadOnlySpan<\w+> (\w+)\r?\n").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(arrays);
        // Code only: the XML doc names the copies too.
        string code = string.Join("\n", source.Split('\n').Where(line => !line.TrimStart().StartsWith("///", StringComparison.Ordinal)));
        foreach (var name in arrays)
            Assert.True(Regex.Matches(code, $@"\b{name}\b").Count >= 2, $"{name} is embedded but never read");

        // A copy belongs to its path: Layer{k}…Weights256 is read only inside Core256's layer methods, and so on.
        var copies = arrays.Where(a => Regex.IsMatch(a, @"Weights(256|128)$")).ToList();
        Assert.Equal(hidden >= 64, copies.Any(c => c.EndsWith("256", StringComparison.Ordinal)));
        Assert.Equal(hidden >= 32, copies.Any(c => c.EndsWith("128", StringComparison.Ordinal)));
        foreach (var copy in copies)
        {
            string width = copy.Substring(copy.Length - 3);
            foreach (Match use in Regex.Matches(source, $@"GetReference\({copy}\)"))
            {
                int method = source.LastIndexOf("private static void ", use.Index, StringComparison.Ordinal);
                string signature = source.Substring(method, source.IndexOf('(', method) - method);
                Assert.EndsWith(width, signature, StringComparison.Ordinal);
            }
        }
    }
}
