using System.Collections.Immutable;

namespace TinyGru.Generator;

/// <summary>A target with its resolved model file (or the diagnostics that stop generation). Plain equatable values.</summary>
internal sealed record GenerationRequest(ModelTarget Target, ModelFileSpec? File, TargetEnvironment Environment, EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>
    /// Finds the target's model among the AdditionalFiles items: the exact path first; a match by case or file name only
    /// is a warning (TGRU020) naming both paths, and an error when ambiguous (TGRU004) or when the named path exists
    /// but is not an item (TGRU021). Reports a missing or invalid file.
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

        var (matches, fallback) = Match(target.ModelPath, files, environment.ProjectDir);
        if (fallback && matches.Count == 1 && environment.ProjectDir is { } projectDir && NamedFileExists(projectDir, target.ModelPath, matches[0]))
        {
            // The path names a real file that the build does not hand the generator: never bind a namesake instead.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelPathNotAnItem, target.Location, target.ModelPath, matches[0].Path));
        }
        else if (matches.Count == 0)
        {
            string available = files.Length == 0 ? "none" : string.Join(", ", files.Select(f => f.FileName).Distinct().OrderBy(n => n, StringComparer.Ordinal).Take(10));
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelFileNotFound, target.Location, target.ModelPath, available));
        }
        else if (matches.Count > 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AmbiguousModelFile, target.Location, target.ModelPath,
                string.Join(", ", matches.Select(m => m.Path).OrderBy(p => p, StringComparer.Ordinal))));
        }
        else
        {
            if (fallback) diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelMatchedByFileName, target.Location, target.ModelPath, matches[0].Path));
            if (matches[0].Error is { } error)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModel, LocationInfo.FileStart(matches[0].Path), error));
        }
        bool failed = diagnostics.Any(d => d.Id != DiagnosticDescriptors.ModelMatchedByFileName.Id);
        var file = failed ? null : matches[0];
        return new GenerationRequest(target, file, environment, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
    }

    /// <summary>
    /// The AdditionalFiles items the attribute's path names. Exact: the path resolved against the project folder
    /// (when the build says which that is; otherwise a path suffix, for hosts without ProjectDir). Fallback
    /// (second value true): same path ignoring case, or the same file name.
    /// </summary>
    private static (List<ModelFileSpec> Matches, bool Fallback) Match(string modelPath, ImmutableArray<ModelFileSpec> files, string? projectDir)
    {
        string wanted = Normalize(modelPath);
        List<ModelFileSpec> exact;
        string full;
        if (projectDir is not null)
        {
            full = Collapse(IsRooted(wanted) ? wanted : projectDir + wanted);
            exact = files.Where(f => Collapse(Normalize(f.Path)) == full).ToList();
        }
        else
        {
            full = Collapse(wanted).TrimStart('/');
            exact = files.Where(f => Normalize(f.Path) == full || Normalize(f.Path).EndsWith("/" + full, StringComparison.Ordinal)).ToList();
        }
        if (exact.Count > 0) return (exact, false);
        string name = full.Split('/').Last();
        var byCase = files.Where(f => string.Equals(Collapse(Normalize(f.Path)), full, StringComparison.OrdinalIgnoreCase)).ToList();
        if (byCase.Count > 0) return (byCase, true);
        return (files.Where(f => string.Equals(f.FileName, name, StringComparison.OrdinalIgnoreCase)).ToList(), true);
    }

    /// <summary>True when the attribute's path names an existing file other than <paramref name="match"/>.</summary>
    private static bool NamedFileExists(string projectDir, string modelPath, ModelFileSpec match)
    {
        string wanted = Normalize(modelPath);
        string full = Collapse(IsRooted(wanted) ? wanted : projectDir + wanted);
        // Same file spelt with another case (a case-insensitive file system): not a different file.
        if (string.Equals(full, Collapse(Normalize(match.Path)), StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
#pragma warning disable RS1035 // Checking that a path is NOT a different model is the point; no content is read.
            return System.IO.File.Exists(full) || System.IO.Directory.Exists(full);
#pragma warning restore RS1035
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static bool IsRooted(string path) => path.StartsWith("/", StringComparison.Ordinal) || (path.Length > 1 && path[1] == ':');

    /// <summary>Removes "." and "name/.." segments of a '/'-separated path.</summary>
    private static string Collapse(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part == "." || (part.Length == 0 && parts.Count > 0)) continue;
            if (part == ".." && parts.Count > 0 && parts[parts.Count - 1] is not (".." or "")) parts.RemoveAt(parts.Count - 1);
            else parts.Add(part);
        }
        return string.Join("/", parts);
    }

    private static string Normalize(string path) => path.Replace('\\', '/');
}
