using Microsoft.CodeAnalysis;

namespace TinyGru.Generator;

/// <summary>Every diagnostic the generator reports (see AnalyzerReleases.Unshipped.md).</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "TinyGru";

    public static readonly DiagnosticDescriptor NotPartial = new(
        "TGRU001", "Model type must be partial",
        "'{0}' must be declared partial so that TinyGru can generate its model code",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ModelFileNotFound = new(
        "TGRU002", "Model file is not an AdditionalFiles item",
        "Model file '{0}' is not an AdditionalFiles item of this project; add <AdditionalFiles Include=\"{0}\" /> to the project file (model files it has: {1})",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidModel = new(
        "TGRU003", "Model file is invalid",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor AmbiguousModelFile = new(
        "TGRU004", "Model path is ambiguous",
        "Model file '{0}' matches several AdditionalFiles items ({1}); write its path relative to the project folder",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedEnvironment = new(
        "TGRU005", "TinyGru needs .NET 8 and C# 12",
        "TinyGru generated code needs {0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ModelTooLarge = new(
        "TGRU006", "Model is too large for the .NET target",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericType = new(
        "TGRU007", "Generic model types are not supported",
        "'{0}' is generic or nested in a generic type; TinyGru model types must not have type parameters",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidPath = new(
        "TGRU008", "Model path is missing",
        "[TinyGruModel] needs the model file's path as a non-empty constant string",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedTypeKind = new(
        "TGRU009", "Unsupported model type kind",
        "'{0}' must be a non-static class or a struct that is neither a ref struct nor readonly (the model keeps its recurrent state in fields)",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidSetting = new(
        "TGRU010", "Invalid TinyGru MSBuild property",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NanoFrameworkDoesNotFit = new(
        "TGRU011", "Model does not fit nanoFramework",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NanoFrameworkTypeKind = new(
        "TGRU012", "nanoFramework model types must be top-level partial classes",
        "'{0}' must be a partial class that is not nested in another type when TinyGruTarget is nanoframework",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    // TGRU013 (series transforms refused) was removed when every emitter learned them; its id is not reused.

    public static readonly DiagnosticDescriptor NativeAotDefaultInstructionSet = new(
        "TGRU023", "NativeAOT publish without IlcInstructionSet",
        "{0}",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ModelMatchedByFileName = new(
        "TGRU020", "Model file matched by file name only",
        "Model file '{0}' is not an AdditionalFiles item at that path; using '{1}', the only item with that file name. Write the path relative to the project folder to bind it exactly.",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ModelPathNotAnItem = new(
        "TGRU021", "Model path names a file that is not an AdditionalFiles item",
        "Model file '{0}' exists but is not an AdditionalFiles item; TinyGru will not substitute '{1}', which only shares its file name. Add <AdditionalFiles Include=\"{0}\" /> or correct the path.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateAttribute = new(
        "TGRU022", "[TinyGruModel] on more than one part of a partial type",
        "'{0}' has [TinyGruModel] on more than one of its partial declarations; keep it on one",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InternalError = new(
        "TGRU099", "TinyGru generator error",
        "TinyGru could not generate '{0}': {1}. Please report this with the model file.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
