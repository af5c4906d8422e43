using System.CommandLine;
using TinyGru.CodeGen;
using TinyGru.Model;

namespace TinyGru.Cli;

/// <summary>
/// <c>tinygru generate MODEL --target net --namespace N --class C -o File.cs</c>: the source generator's output as a
/// file, for projects that do not use the generator (the same emitter, so the same code).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, or .onnx" };
        var target = new Option<string>("--target") { Description = "Code target: net (.NET 8+, JIT or NativeAOT)", DefaultValueFactory = _ => "net" };
        var ns = new Option<string?>("--namespace") { Description = "Namespace of the generated type (default: none)" };
        var type = new Option<string>("--class") { Description = "Name of the generated type", DefaultValueFactory = _ => "GruModel" };
        var kind = new Option<string>("--kind") { Description = "struct or class", DefaultValueFactory = _ => "struct" };
        var output = new Option<string>("--output", "-o") { Description = "C# file to write", Required = true };
        var command = new Command("generate", "Write the generated C# for a model (what the source generator produces at build time)") { model, target, ns, type, kind, output };
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string t = parse.GetValue(target)!;
            if (t == "nanoframework") throw new CliException("--target nanoframework: not available yet; it is planned (see README). Use --target net.");
            if (t != "net") throw new CliException($"--target: '{t}' is not a known target; expected net");
            string k = parse.GetValue(kind)!;
            if (k is not ("struct" or "class")) throw new CliException($"--kind: '{k}' is not struct or class");
            string typeName = parse.GetValue(type)!;
            if (!IsIdentifier(typeName)) throw new CliException($"--class: '{typeName}' is not a C# identifier");
            string? nsName = parse.GetValue(ns);
            if (nsName is not null && !nsName.Split('.').All(IsIdentifier)) throw new CliException($"--namespace: '{nsName}' is not a C# namespace");

            string path = parse.GetValue(model)!;
            var bytes = ModelFileBytes.Read(path);
            var m = ModelLoader.Load(bytes, path);
            var options = new NetEmitOptions
            {
                Namespace = nsName,
                TypeName = typeName,
                TypeKeyword = k,
                Accessibility = "public",
                SourceName = Path.GetFileName(path),
                SourceHash = ModelFileBytes.Sha256Hex(bytes),
            };
            string outPath = parse.GetValue(output)!;
            string source = NetModelEmitter.Emit(m, options);
            AtomicFile.WriteAllBytes(outPath, new System.Text.UTF8Encoding(false).GetBytes(source));
            stdout.WriteLine($"wrote {outPath}: {(nsName is null ? "" : nsName + ".")}{typeName}, GRU {m.InputSize} → {string.Join(" → ", m.Layers.Select(l => l.HiddenSize))} → {m.OutputSize}; needs .NET 8+, C# 12 and a reference to TinyGru.Runtime");
            return 0;
        }));
        return command;
    }

    private static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');
}
