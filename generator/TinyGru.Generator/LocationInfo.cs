using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TinyGru.Generator;

/// <summary>A source location as plain values (a Location would pin syntax trees in the pipeline).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    /// <summary>The start of a file that is not C# source (a model file).</summary>
    public static LocationInfo FileStart(string path) => new(path, default, default);
}

/// <summary>A diagnostic as plain values.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, new EquatableArray<string>(arguments));
}
