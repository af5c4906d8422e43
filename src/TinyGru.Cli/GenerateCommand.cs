using System.CommandLine;
using TinyGru.CodeGen;
using TinyGru.CodeGen.NanoFramework;
using TinyGru.Model;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>
/// <c>tinygru generate MODEL --target net --namespace N --class C -o File.cs</c>: the source generator's output as a
/// file, for projects that do not use the generator (the same emitter, so the same code). <c>--target nanoframework</c>
/// writes one C# 9 file for .NET nanoFramework v1 (docs/nanoframework.md) and prints its footprint.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, or .onnx" };
        var target = new Option<string>("--target") { Description = "Code target: net (.NET 8+, JIT or NativeAOT) or nanoframework (.NET nanoFramework v1, C# 9)", DefaultValueFactory = _ => "net" };
        var ns = new Option<string?>("--namespace") { Description = "Namespace of the generated type (default: none)" };
        var type = new Option<string>("--class") { Description = "Name of the generated type", DefaultValueFactory = _ => "GruModel" };
        var kind = new Option<string>("--kind") { Description = "struct or class", DefaultValueFactory = _ => "struct" };
        var weights = new Option<string>("--weights") { Description = "nanoframework: weight placement auto, inline (unrolled code), arrays (static readonly, RAM) or resource (binary resource, flash)", DefaultValueFactory = _ => "auto" };
        var activations = new Option<string>("--activations") { Description = "nanoframework, float models: math (Math.Tanh) or managed (no System.Math)", DefaultValueFactory = _ => "math" };
        var output = new Option<string>("--output", "-o") { Description = "C# file to write", Required = true };
        var command = new Command("generate", "Write the generated C# for a model (what the source generator produces at build time)") { model, target, ns, type, kind, weights, activations, output };
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string t = parse.GetValue(target)!;
            if (t is not ("net" or "nanoframework")) throw new CliException($"--target: '{t}' is not a known target; expected net or nanoframework");
            bool nano = t == "nanoframework";
            string wName = parse.GetValue(weights)!;
            var placement = wName switch
            {
                "auto" => NanoWeightPlacement.Auto,
                "inline" => NanoWeightPlacement.Inline,
                "arrays" => NanoWeightPlacement.Arrays,
                "resource" => NanoWeightPlacement.Resource,
                _ => throw new CliException($"--weights: '{wName}' is not auto, inline, arrays or resource"),
            };
            string aName = parse.GetValue(activations)!;
            if (aName is not ("math" or "managed")) throw new CliException($"--activations: '{aName}' is not math or managed");
            if (!nano && (parse.GetResult(weights) is { Implicit: false } || parse.GetResult(activations) is { Implicit: false }))
                throw new CliException("--weights and --activations apply to --target nanoframework only");
            string k = parse.GetValue(kind)!;
            if (k is not ("struct" or "class")) throw new CliException($"--kind: '{k}' is not struct or class");
            string typeName = parse.GetValue(type)!;
            if (!IsIdentifier(typeName)) throw new CliException($"--class: '{typeName}' is not a C# identifier (letters, digits and '_', not starting with a digit, not a keyword)");
            string? nsName = parse.GetValue(ns);
            if (nsName is not null && !nsName.Split('.').All(IsIdentifier)) throw new CliException($"--namespace: '{nsName}' is not a C# namespace (identifiers separated by '.', none a keyword)");

            string path = ModelLoader.ModelFilePath(parse.GetValue(model)!);
            var bytes = ModelFileBytes.Read(path);
            var m = CliModelLoader.Load(bytes, path, ImportOptions.None, out _);
            string outPath = parse.GetValue(output)!;
            AtomicFile.CheckOutputPath(outPath, path);
            if (nano)
            {
                if (parse.GetResult(kind) is { Implicit: false }) throw new CliException("--kind: the nanoframework target always generates a sealed class");
                NanoEmitResult result;
                try
                {
                    result = NanoFrameworkEmitter.Emit(m, new NanoEmitOptions
                    {
                        Namespace = nsName,
                        TypeName = typeName,
                        SourceName = Path.GetFileName(path),
                        SourceHash = ModelFileBytes.Sha256Hex(bytes),
                        Weights = placement,
                        Activations = aName == "managed" ? NanoActivations.Managed : NanoActivations.MathTanh,
                    });
                }
                catch (NanoEmitException e)
                {
                    throw new CliException(e.Message);
                }
                // The resource first: a .cs that reads a resource is never left without it.
                string? resourcePath = null;
                foreach (var (_, data) in result.Resources)
                {
                    resourcePath = WeightsPath(outPath);
                    AtomicFile.WriteAllBytes(resourcePath, data, path);
                }
                AtomicFile.WriteAllBytes(outPath, new System.Text.UTF8Encoding(false).GetBytes(result.Source), path);
                stdout.WriteLine($"wrote {outPath}: {(nsName is null ? "" : nsName + ".")}{typeName}, GRU {m.InputSize} → {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))} → {m.OutputSize} for .NET nanoFramework v1 (C# 9)");
                if (resourcePath is not null)
                    stdout.WriteLine($"wrote {resourcePath}: {result.Resources[0].Bytes.Length:N0} bytes; add it to the project's Resources.resx as the binary resource {result.Resources[0].Name} " +
                                     $"and construct new {typeName}(Resources.ResourceManager, Resources.BinaryResources.{result.Resources[0].Name})");
                foreach (var line in NanoFrameworkEmitter.Report(result)) stdout.WriteLine("  " + line);
                if (m.Precision != TinyGru.Model.Quantization.ModelPrecision.Int8 && aName == "math")
                    stdout.WriteLine("  needs the nanoFramework.System.Math package (or use --activations managed)");
                return 0;
            }
            var options = new NetEmitOptions
            {
                Namespace = nsName,
                TypeName = typeName,
                TypeKeyword = k,
                Accessibility = "public",
                SourceName = Path.GetFileName(path),
                SourceHash = ModelFileBytes.Sha256Hex(bytes),
            };
            string source = NetModelEmitter.Emit(m, options);
            AtomicFile.WriteAllBytes(outPath, new System.Text.UTF8Encoding(false).GetBytes(source), path);
            stdout.WriteLine($"wrote {outPath}: {(nsName is null ? "" : nsName + ".")}{typeName}, GRU {m.InputSize} → {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))} → {m.OutputSize}; needs .NET 8+, C# 12 and a reference to TinyGru.Runtime");
            return 0;
        }));
        return command;
    }

    /// <summary>Model.cs → Model.weights.bin beside it.</summary>
    internal static string WeightsPath(string csPath)
    {
        string dir = Path.GetDirectoryName(csPath) ?? "";
        string name = Path.GetFileNameWithoutExtension(csPath) + ".weights.bin";
        return dir.Length == 0 ? name : Path.Combine(dir, name);
    }

    /// <summary>A C# identifier that is not a reserved keyword (<c>--class class</c> would write code that does not compile).</summary>
    internal static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_') && !Keywords.Contains(s);

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
        // Contextual keywords that cannot name a type.
        "var", "dynamic", "record", "file", "scoped", "required", "global",
    };
}
