using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using TinyGru.CodeGen;
using TinyGru.Model;

namespace TinyGru.Generator;

/// <summary>
/// Generates a fixed-size GRU implementation for every partial type marked <c>[TinyGru.TinyGruModel("path")]</c>
/// from the model file among the project's AdditionalFiles. Flow: attribute targets and model files are each reduced
/// to equatable values, combined into requests, and emitted by <see cref="NetModelEmitter"/>; every problem is a
/// diagnostic, never an exception.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TinyGruGenerator : IIncrementalGenerator
{
    /// <summary>Attribute that marks a model type.</summary>
    public const string AttributeName = "TinyGru.TinyGruModelAttribute";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var targets = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeName, static (node, _) => node is TypeDeclarationSyntax, ModelTarget.Parse)
            .WithTrackingName(TrackingNames.Targets);

        var files = context.AdditionalTextsProvider
            .Where(static text => ModelFileSpec.IsModelFile(text.Path))
            .Select(static (text, ct) => ModelFileSpec.Read(text.Path, ct))
            .WithTrackingName(TrackingNames.ModelFiles)
            .Collect();

        var environment = context.CompilationProvider
            .Select(static (compilation, _) => TargetEnvironment.From(compilation))
            .WithTrackingName(TrackingNames.Environment);

        var requests = targets.Combine(files).Combine(environment)
            .Select(static (input, _) => GenerationRequest.Resolve(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(TrackingNames.Requests);

        context.RegisterSourceOutput(requests, static (spc, request) => Emit(spc, request));
    }

    private static void Emit(SourceProductionContext context, GenerationRequest request)
    {
        foreach (var d in request.Diagnostics) context.ReportDiagnostic(ToDiagnostic(d));
        if (request.File?.Model is not { } model) return;
        var target = request.Target;
        try
        {
            var options = new NetEmitOptions
            {
                Namespace = target.Namespace,
                TypeName = target.TypeName,
                TypeKeyword = target.TypeKeyword,
                ContainingTypes = target.ContainingTypes.ToArray(),
                SourceName = request.File.FileName,
                SourceHash = request.File.Hash,
                SkipLocalsInit = request.Environment.AllowUnsafe,
                AllowUnsafe = request.Environment.AllowUnsafe,
            };
            context.AddSource(target.HintName, SourceText.From(NetModelEmitter.Emit(model, options), System.Text.Encoding.UTF8));
        }
        catch (ModelFormatException e)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ModelTooLarge, LocationInfo.FileStart(request.File.Path).ToLocation(), e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An escaping exception would become CS8785 and silently drop the output; say what happened instead.
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, target.Location?.ToLocation(), target.DisplayName, e.GetType().Name + ": " + e.Message));
        }
    }

    private static Diagnostic ToDiagnostic(DiagnosticInfo info)
    {
        var descriptor = Descriptors.First(d => d.Id == info.Id);
        return Diagnostic.Create(descriptor, info.Location?.ToLocation(), info.Arguments.ToArray<object>());
    }

    private static readonly DiagnosticDescriptor[] Descriptors =
    {
        DiagnosticDescriptors.NotPartial, DiagnosticDescriptors.ModelFileNotFound, DiagnosticDescriptors.InvalidModel,
        DiagnosticDescriptors.AmbiguousModelFile, DiagnosticDescriptors.UnsupportedEnvironment, DiagnosticDescriptors.ModelTooLarge,
        DiagnosticDescriptors.GenericType, DiagnosticDescriptors.InvalidPath, DiagnosticDescriptors.UnsupportedTypeKind,
        DiagnosticDescriptors.InternalError,
    };
}

/// <summary>Names of the pipeline's tracked steps (for incrementality tests).</summary>
public static class TrackingNames
{
    /// <summary>[TinyGruModel] types reduced to targets.</summary>
    public const string Targets = "TinyGru.Targets";

    /// <summary>Model files read and validated.</summary>
    public const string ModelFiles = "TinyGru.ModelFiles";

    /// <summary>What the compilation offers (framework, language version).</summary>
    public const string Environment = "TinyGru.Environment";

    /// <summary>Targets resolved against model files.</summary>
    public const string Requests = "TinyGru.Requests";
}
