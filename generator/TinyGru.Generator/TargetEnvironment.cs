using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TinyGru.Generator;

/// <summary>What the consuming compilation offers the generated code. Equal values keep downstream steps cached.</summary>
internal sealed record TargetEnvironment(bool HasInlineArray, bool HasCSharp12, bool AllowUnsafe)
{
    public static TargetEnvironment From(Compilation compilation) => new(
        compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.InlineArrayAttribute") is not null,
        compilation is CSharpCompilation { LanguageVersion: >= LanguageVersion.CSharp12 },
        compilation.Options is CSharpCompilationOptions { AllowUnsafe: true });

    /// <summary>What is missing, for TGRU005, or null.</summary>
    public string? Missing =>
        !HasInlineArray ? ".NET 8 or later (System.Runtime.CompilerServices.InlineArrayAttribute is missing from the target framework)"
        : !HasCSharp12 ? "C# 12 or later (set <LangVersion>12</LangVersion> or newer)"
        : null;
}
