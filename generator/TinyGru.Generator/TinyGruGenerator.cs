using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using TinyGru.CodeGen;
using TinyGru.CodeGen.NanoFramework;
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

        var settings = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => TargetEnvironment.Settings(provider));

        var environment = context.CompilationProvider
            .Select(static (compilation, _) => TargetEnvironment.From(compilation))
            .Combine(settings)
            .Select(static (input, _) => input.Left.With(input.Right))
            .WithTrackingName(TrackingNames.Environment);

        var requests = targets.Combine(files).Combine(environment)
            .Select(static (input, _) => GenerationRequest.Resolve(input.Left.Left, input.Left.Right, input.Right))
            .WithTrackingName(TrackingNames.Requests);

        context.RegisterSourceOutput(requests, static (spc, request) => Emit(spc, request));

        // TGRU023, once per compilation that has a model type: a NativeAOT publish left at the x86-64-v2 default.
        var nativeAot = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => NativeAotSettings.From(provider))
            .WithTrackingName(TrackingNames.NativeAot);
        var hasTargets = targets.Collect().Select(static (all, _) => all.Length > 0);
        context.RegisterSourceOutput(nativeAot.Combine(hasTargets), static (spc, input) =>
        {
            if (input.Right && input.Left.DefaultInstructionSetNote is { } note)
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NativeAotDefaultInstructionSet, Location.None, note));
        });
    }

    private static void Emit(SourceProductionContext context, GenerationRequest request)
    {
        foreach (var d in request.Diagnostics) context.ReportDiagnostic(ToDiagnostic(d));
        if (request.Diagnostics.Any(d => Descriptors.First(x => x.Id == d.Id).DefaultSeverity == DiagnosticSeverity.Error)) return;
        if (request.File?.Model is not { } model) return;
        var target = request.Target;
        if (request.Environment.IsNanoFramework)
        {
            EmitNanoFramework(context, request, model);
            return;
        }
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

    /// <summary>TinyGruTarget=nanoframework: the nanoFramework emitter's code, inline or array weights (a generator cannot add a resx resource).</summary>
    private static void EmitNanoFramework(SourceProductionContext context, GenerationRequest request, GruModel model)
    {
        var target = request.Target;
        var env = request.Environment;
        var location = LocationInfo.FileStart(request.File!.Path).ToLocation();
        try
        {
            var options = new NanoEmitOptions
            {
                Namespace = target.Namespace,
                TypeName = target.TypeName,
                SourceName = request.File.FileName,
                SourceHash = request.File.Hash,
                Partial = true,
                Weights = env.Weights switch { "inline" => NanoWeightPlacement.Inline, "arrays" => NanoWeightPlacement.Arrays, _ => NanoWeightPlacement.Auto },
                Activations = env.Activations == "managed" ? NanoActivations.Managed : NanoActivations.MathTanh,
            };
            var result = NanoFrameworkEmitter.Emit(model, options);
            if (result.Placement == NanoWeightPlacement.Resource)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NanoFrameworkDoesNotFit, location,
                    $"{request.File.FileName}: the model fits nanoFramework only with its weights in a binary resource ({result.Footprint.ResourceBytes:N0} bytes), which a source generator cannot add; " +
                    "write the code with 'tinygru generate MODEL --target nanoframework --weights resource' and add the .weights.bin file to Resources.resx"));
                return;
            }
            context.AddSource(target.HintName, SourceText.From(result.Source, System.Text.Encoding.UTF8));
        }
        catch (Exception e) when (e is NanoEmitException or ModelFormatException)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NanoFrameworkDoesNotFit, location, e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
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
        DiagnosticDescriptors.InvalidSetting, DiagnosticDescriptors.NanoFrameworkDoesNotFit, DiagnosticDescriptors.NanoFrameworkTypeKind,
        DiagnosticDescriptors.ModelMatchedByFileName, DiagnosticDescriptors.ModelPathNotAnItem, DiagnosticDescriptors.DuplicateAttribute,
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

    /// <summary>The NativeAOT publish settings (TGRU023).</summary>
    public const string NativeAot = "TinyGru.NativeAot";
}
