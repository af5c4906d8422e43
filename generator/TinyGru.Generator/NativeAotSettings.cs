using Microsoft.CodeAnalysis.Diagnostics;

namespace TinyGru.Generator;

/// <summary>
/// The project's NativeAOT publish settings (MSBuild <c>PublishAot</c>, <c>IlcInstructionSet</c>,
/// <c>RuntimeIdentifier</c>), for TGRU023. Equatable: an unrelated edit leaves its step cached.
/// </summary>
internal sealed record NativeAotSettings(bool PublishAot, string InstructionSet, string RuntimeIdentifier, string Target)
{
    public static NativeAotSettings From(AnalyzerConfigOptionsProvider provider)
    {
        string Get(string name) =>
            provider.GlobalOptions.TryGetValue("build_property." + name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : "";
        string target = Get("TinyGruTarget").ToLowerInvariant();
        return new NativeAotSettings(
            string.Equals(Get("PublishAot"), "true", System.StringComparison.OrdinalIgnoreCase),
            Get("IlcInstructionSet"),
            Get("RuntimeIdentifier").ToLowerInvariant(),
            target.Length == 0 ? "net" : target);
    }

    /// <summary>
    /// The TGRU023 message when the project publishes NativeAOT for x64 (or an unnamed runtime) with no
    /// <c>IlcInstructionSet</c>: NativeAOT then targets x86-64-v2 and <c>Step</c> takes the 128-bit path. Null otherwise
    /// (ARM64's baseline already has the 128-bit AdvSimd the code uses; nanoFramework code has no SIMD).
    /// </summary>
    public string? DefaultInstructionSetNote =>
        !PublishAot || InstructionSet.Length > 0 || Target != "net" || RuntimeIdentifier.Contains("arm") ? null
        : "PublishAot is set without IlcInstructionSet, so NativeAOT compiles for x86-64-v2 (SSE4.2, no AVX2 or FMA) and the generated Step runs its 128-bit path; "
          + "set <IlcInstructionSet>x86-64-v3</IlcInstructionSet> (AVX2 + FMA) or x86-64-v4 (AVX-512) for the CPUs you deploy to, or x86-64-v2 to keep the default and silence this (docs/benchmarks.md has the numbers per level)";
}
