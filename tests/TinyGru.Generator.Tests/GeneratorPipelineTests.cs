using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace TinyGru.Generator.Tests;

/// <summary>The pipeline caches: an unrelated edit re-runs nothing, and no pipeline value holds Roslyn objects.</summary>
public class GeneratorPipelineTests
{
    private const string Source = "namespace App { [TinyGru.TinyGruModel(\"gru_tiny.safetensors\")] public partial struct M { } }";
    private static readonly string[] Models = { GeneratorHarness.Fixture("gru_tiny.safetensors"), GeneratorHarness.Fixture("gru_small.safetensors") };
    private static readonly string[] TrackedSteps = { TrackingNames.Targets, TrackingNames.ModelFiles, TrackingNames.Environment, TrackingNames.Requests };

    [Fact]
    public void UnrelatedEditLeavesEveryStepCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.Compilation(Source);
        var driver = GeneratorHarness.Driver(Models).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Single(first.GeneratedSources);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace App { public class Unrelated { public int X => 42; } }", new CSharpParseOptions(LanguageVersion.CSharp12), path: "Other.cs"));
        driver = driver.RunGenerators(edited);
        var second = driver.GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
        {
            Assert.True(second.TrackedSteps.TryGetValue(step, out var runs), $"step {step} was not tracked");
            foreach (var output in runs.SelectMany(r => r.Outputs))
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {step}: {output.Reason}");
        }
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void EditingTheModelTypeRegeneratesOnlyThatTarget()
    {
        var compilation = GeneratorHarness.Compilation(Source);
        var driver = GeneratorHarness.Driver(Models).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();
        var changed = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            Source.Replace("gru_tiny.safetensors", "gru_small.safetensors"))));
        var result = driver.RunGenerators(changed).GetRunResult().Results.Single();
        Assert.Equal(IncrementalStepRunReason.Modified, result.TrackedSteps[TrackingNames.Targets].Single().Outputs.Single().Reason);
        Assert.All(result.TrackedSteps[TrackingNames.ModelFiles].SelectMany(r => r.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Contains("InputSize = 6", result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void PipelineValuesHoldNoRoslynObjects()
    {
        var driver = GeneratorHarness.Driver(Models).RunGenerators(GeneratorHarness.Compilation(Source));
        var result = driver.GetRunResult().Results.Single();
        foreach (var step in TrackedSteps)
            foreach (var output in result.TrackedSteps[step].SelectMany(r => r.Outputs))
                AssertNoRoslynObjects(output.Value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(SemanticModel), typeof(Location), typeof(AdditionalText), typeof(SyntaxTree),
    };

    private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        if (!value.GetType().IsValueType && !seen.Add(value)) return;
        var type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} holds a {type.FullName}");
        if (type.IsArray && type.GetElementType()!.IsPrimitive) return;
        if (value is IEnumerable sequence)
        {
            int i = 0;
            foreach (var item in sequence) AssertNoRoslynObjects(item, $"{path}[{i++}]", seen);
            if (type.IsArray) return;
        }
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                AssertNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", seen);
    }

    [Fact]
    public void OutputIsDeterministicAndHasNoAbsolutePaths()
    {
        string Generate() => GeneratorHarness.Driver(Models).RunGenerators(GeneratorHarness.Compilation(Source))
            .GetRunResult().GeneratedTrees.Single().ToString();
        string first = Generate();
        Assert.Equal(first, Generate());
        Assert.DoesNotContain(AppContext.BaseDirectory.TrimEnd('/'), first);
        Assert.Contains("from gru_tiny.safetensors (sha256 ", first);
    }
}
