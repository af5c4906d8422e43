using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TinyGru.Generator;

/// <summary>
/// What the consuming compilation offers the generated code, and which code target the project asks for (MSBuild
/// properties <c>TinyGruTarget</c>, <c>TinyGruWeights</c>, <c>TinyGruActivations</c>). Equal values keep downstream steps cached.
/// </summary>
internal sealed record TargetEnvironment(bool HasInlineArray, bool HasCSharp12, bool AllowUnsafe)
{
    /// <summary>"net" (default) or "nanoframework"; anything else is reported by <see cref="InvalidSetting"/>.</summary>
    public string Target { get; init; } = "net";

    /// <summary>nanoframework: "auto", "inline" or "arrays".</summary>
    public string Weights { get; init; } = "auto";

    /// <summary>nanoframework: "math" or "managed".</summary>
    public string Activations { get; init; } = "math";

    /// <summary>The project folder (MSBuild ProjectDir, '/'-separated, ending in '/'), against which model paths resolve; null when the host does not say.</summary>
    public string? ProjectDir { get; init; }

    public bool IsNanoFramework => Target == "nanoframework";

    public static TargetEnvironment From(Compilation compilation) => new(
        compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.InlineArrayAttribute") is not null,
        compilation is CSharpCompilation { LanguageVersion: >= LanguageVersion.CSharp12 },
        compilation.Options is CSharpCompilationOptions { AllowUnsafe: true });

    /// <summary>The project's TinyGru MSBuild properties (empty values mean the defaults).</summary>
    public static (string Target, string Weights, string Activations, string? ProjectDir) Settings(AnalyzerConfigOptionsProvider provider)
    {
        string Get(string name, string fallback) =>
            provider.GlobalOptions.TryGetValue("build_property." + name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim().ToLowerInvariant() : fallback;
        string? projectDir = provider.GlobalOptions.TryGetValue("build_property.ProjectDir", out var dir) && !string.IsNullOrWhiteSpace(dir)
            ? dir.Trim().Replace('\\', '/').TrimEnd('/') + "/" : null;
        return (Get("TinyGruTarget", "net"), Get("TinyGruWeights", "auto"), Get("TinyGruActivations", "math"), projectDir);
    }

    public TargetEnvironment With((string Target, string Weights, string Activations, string? ProjectDir) settings) =>
        this with { Target = settings.Target, Weights = settings.Weights, Activations = settings.Activations, ProjectDir = settings.ProjectDir };

    /// <summary>An unknown MSBuild property value, for TGRU010, or null.</summary>
    public string? InvalidSetting =>
        Target is not ("net" or "nanoframework") ? $"TinyGruTarget '{Target}' is not net or nanoframework"
        : IsNanoFramework && Weights == "resource" ? "TinyGruWeights 'resource' needs the weights in a .resx binary resource, which a source generator cannot add; write the code with 'tinygru generate MODEL --target nanoframework --weights resource' and add the .weights.bin file to Resources.resx"
        : Weights is not ("auto" or "inline" or "arrays" or "resource") ? $"TinyGruWeights '{Weights}' is not auto, inline or arrays"
        : Activations is not ("math" or "managed") ? $"TinyGruActivations '{Activations}' is not math or managed"
        : null;

    /// <summary>What is missing, for TGRU005, or null (nanoFramework code needs neither .NET 8 nor C# 12).</summary>
    public string? Missing =>
        IsNanoFramework ? null
        : !HasInlineArray ? ".NET 8 or later (System.Runtime.CompilerServices.InlineArrayAttribute is missing from the target framework)"
        : !HasCSharp12 ? "C# 12 or later (set <LangVersion>12</LangVersion> or newer)"
        : null;
}
