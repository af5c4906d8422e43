using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TinyGru.Generator;

/// <summary>A type marked [TinyGruModel]: where to generate, and which model file it asks for. Plain equatable values.</summary>
internal sealed record ModelTarget(
    string? Namespace,
    string TypeName,
    string TypeKeyword,
    EquatableArray<string> ContainingTypes,
    string ModelPath,
    string HintName,
    LocationInfo? Location,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    public string DisplayName => (Namespace is null ? "" : Namespace + ".") + string.Concat(ContainingTypes.Select(c => c.Split(' ').Last() + ".")) + TypeName;

    /// <summary>Reads the attribute's target into a <see cref="ModelTarget"/>, collecting misuse as diagnostics.</summary>
    public static ModelTarget Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var location = LocationInfo.From(syntax.Identifier.GetLocation());
        var diagnostics = new List<DiagnosticInfo>();
        string display = symbol.ToDisplayString();

        string path = context.Attributes.FirstOrDefault()?.ConstructorArguments.FirstOrDefault().Value as string ?? "";
        if (string.IsNullOrWhiteSpace(path)) diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidPath, location));

        string keyword = syntax switch
        {
            StructDeclarationSyntax => "struct",
            ClassDeclarationSyntax => "class",
            RecordDeclarationSyntax r when r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
            RecordDeclarationSyntax => "record",
            _ => "",
        };
        if (keyword.Length == 0 || symbol.IsStatic || symbol.IsRefLikeType || (symbol.IsValueType && symbol.IsReadOnly))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeKind, location, display));

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, display));

        var containing = new List<string>();
        for (var parent = syntax.Parent as TypeDeclarationSyntax; parent is not null; parent = parent.Parent as TypeDeclarationSyntax)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!parent.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, LocationInfo.From(parent.Identifier.GetLocation()), parent.Identifier.Text));
            if (parent.TypeParameterList is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericType, location, display));
            string parentKeyword = parent switch
            {
                StructDeclarationSyntax => "struct",
                RecordDeclarationSyntax r when r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
                RecordDeclarationSyntax => "record",
                InterfaceDeclarationSyntax => "interface",
                _ => "class",
            };
            containing.Insert(0, $"partial {parentKeyword} {parent.Identifier.Text}");
        }
        if (syntax.TypeParameterList is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericType, location, display));

        // Each part carrying the attribute is a target of its own; only the part with the first attribute generates, so
        // two outputs never share a hint name (a collision is CS8785, which drops every generated file of the project).
        var attributes = symbol.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == TinyGruGenerator.AttributeName).ToList();
        if (attributes.Count > 1 && attributes[0].ApplicationSyntaxReference is { } first
            && !(first.SyntaxTree == syntax.SyntaxTree && syntax.Span.Contains(first.Span)))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateAttribute, location, display));

        string? ns = symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString();
        string hint = HintNameOf(display);
        return new ModelTarget(ns, syntax.Identifier.Text, keyword, new EquatableArray<string>(containing.ToArray()), path, hint, location,
            new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
    }

    /// <summary>
    /// The generated file's name: readable, plus a hash of the exact type name, because hint names are compared
    /// without regard to case and <c>Model</c> and <c>model</c> are different types.
    /// </summary>
    internal static string HintNameOf(string display)
    {
        uint hash = 2166136261;
        foreach (char c in display) hash = (hash ^ c) * 16777619;
        return string.Concat(display.Select(c => char.IsLetterOrDigit(c) || c == '.' ? c : '_')) + "." + hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + ".TinyGru.g.cs";
    }
}
