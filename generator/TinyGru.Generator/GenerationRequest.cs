using System.Collections.Immutable;

namespace TinyGru.Generator;

/// <summary>A target with its resolved model file (or the diagnostics that stop generation). Plain equatable values.</summary>
internal sealed record GenerationRequest(ModelTarget Target, ModelFileSpec? File, TargetEnvironment Environment, EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>
    /// Finds the target's model among the AdditionalFiles items: first by path suffix (the attribute's path relative to
    /// the project), then by file name. Reports a missing, ambiguous or invalid file.
    /// </summary>
    public static GenerationRequest Resolve(ModelTarget target, ImmutableArray<ModelFileSpec> files, TargetEnvironment environment)
    {
        var diagnostics = new List<DiagnosticInfo>(target.Diagnostics);
        if (environment.InvalidSetting is { } setting)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSetting, target.Location, setting));
        else if (environment.IsNanoFramework && (target.TypeKeyword != "class" || target.ContainingTypes.Count > 0))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NanoFrameworkTypeKind, target.Location, target.DisplayName));
        else if (environment.Missing is { } missing)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedEnvironment, target.Location, missing));
        if (diagnostics.Count > 0) return new GenerationRequest(target, null, environment, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));

        string wanted = Normalize(target.ModelPath).TrimStart('.', '/');
        var matches = files.Where(f => Normalize(f.Path) == wanted || Normalize(f.Path).EndsWith("/" + wanted, StringComparison.Ordinal)).ToList();
        if (matches.Count == 0)
        {
            string name = wanted.Split('/').Last();
            matches = files.Where(f => string.Equals(f.FileName, name, StringComparison.Ordinal)).ToList();
        }
        if (matches.Count == 0)
        {
            string available = files.Length == 0 ? "none" : string.Join(", ", files.Select(f => f.FileName).Distinct().OrderBy(n => n, StringComparer.Ordinal).Take(10));
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelFileNotFound, target.Location, target.ModelPath, available));
        }
        else if (matches.Count > 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AmbiguousModelFile, target.Location, target.ModelPath,
                string.Join(", ", matches.Select(m => m.Path).OrderBy(p => p, StringComparer.Ordinal))));
        }
        else if (matches[0].Error is { } error)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModel, LocationInfo.FileStart(matches[0].Path), error));
        }
        var file = diagnostics.Count == 0 ? matches[0] : null;
        return new GenerationRequest(target, file, environment, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
    }

    private static string Normalize(string path) => path.Replace('\\', '/');
}
