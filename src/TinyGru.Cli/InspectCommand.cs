using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Cli;

/// <summary><c>tinygru inspect MODEL [--json]</c>: architecture, sizes and metadata of a model file.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, .onnx, Keras .keras/.h5, or a TF.js model.json (or its folder)" };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var import = new ImportCliOptions();
        var command = new Command("inspect", "Show a model's architecture, sizes and metadata") { model, json };
        import.AddTo(command);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string path = parse.GetValue(model)!;
            var m = CliModelLoader.Load(path, import.Parse(parse), out var kind);
            stdout.Write(parse.GetValue(json) ? Json(path, kind, m) : Text(path, kind, m));
            return 0;
        }));
        return command;
    }

    private static string KindName(ModelFileKind kind) => kind switch
    {
        ModelFileKind.TinyGru => "TinyGru model file",
        ModelFileKind.PyTorchStateDict => "PyTorch state_dict in safetensors",
        ModelFileKind.TfjsLayersModel => "TensorFlow.js layers model",
        ModelFileKind.KerasArchive => "Keras .keras/.h5",
        _ => "ONNX",
    };

    private static string FormatName(ModelFileKind kind) => kind switch
    {
        ModelFileKind.TinyGru => "tinygru",
        ModelFileKind.PyTorchStateDict => "pytorch-state-dict",
        ModelFileKind.TfjsLayersModel => "tfjs-layers-model",
        ModelFileKind.KerasArchive => "keras",
        _ => "onnx",
    };

    private static string DenseText(DenseHeadSpec d) => $"dense {d.InputSize} → {d.OutputSize}, {TinyGruModelFile.ActivationName(d.Activation)}";

    private static string ConventionText(GateConvention c) => c == GateConvention.ResetAfter
        ? "reset-after (PyTorch nn.GRU, ONNX linear_before_reset=1, Keras reset_after=True)"
        : "reset-before (ONNX linear_before_reset=0, Keras reset_after=False)";

    internal static string Text(string path, ModelFileKind kind, GruModel m)
    {
        var f = ModelFootprint.Of(m);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Line(string key, string value) => sb.Append(key.PadRight(15)).Append(value).Append('\n');
        Line("file", $"{path} ({KindName(kind)})");
        Line("name", m.Metadata.Name ?? "-");
        Line("task", m.Metadata.Task == ModelTask.Unspecified ? "-" : TinyGruModelFile.TaskName(m.Metadata.Task));
        Line("convention", ConventionText(m.Convention));
        if (m.Embedding is { } e)
        {
            Line("input", $"1 token id per step (0 to {e.VocabularySize - 1})");
            Line("embedding", $"[{e.VocabularySize}, {e.EmbeddingSize}] table ({e.ParameterCount.ToString("N0", inv)} parameters)");
        }
        else Line("input", $"{m.InputSize} features");
        for (int k = 0; k < m.Layers.Count; k++)
            Line(k == 0 ? "layers" : "", $"GRU {m.Layers[k].InputSize} → {m.Layers[k].HiddenSize}");
        Line("gates", m.GateActivation switch
        {
            GateActivation.HardSigmoidKeras2 => "hard-sigmoid-keras2: clip(0.2·x + 0.5, 0, 1) (Keras 2, TF.js)",
            GateActivation.HardSigmoidKeras3 => "hard-sigmoid-keras3: clip(x/6 + 0.5, 0, 1) (Keras 3)",
            _ => "sigmoid",
        });
        var dense = m.DenseLayers;
        if (dense.Count == 0) Line("head", "none (output = last hidden state)");
        for (int d = 0; d < dense.Count; d++) Line(d == 0 ? "head" : "", DenseText(dense[d]));
        Line("output", $"{m.OutputSize} values");
        if (m.Metadata.ClassLabels.Count > 0) Line("labels", string.Join(", ", m.Metadata.ClassLabels));
        Line("parameters", m.ParameterCount.ToString("N0", inv));
        Line("precision", PrecisionText(m));
        foreach (var p in f.Precisions)
            Line(p.Precision == f.Precisions[0].Precision ? "footprint" : "",
                $"{(ModelPrecisions.Name(p.Precision) + ":").PadRight(14)}flash {p.FlashBytes.ToString("N0", inv).PadLeft(9)} B, RAM {p.RamBytes.ToString("N0", inv).PadLeft(7)} B"
                + (p.Precision == m.Precision ? "  ← this file" : ""));
        Line("state", $"{m.StateSize} values ({f.StateBytes.ToString("N0", inv)} bytes as float32{(m.Precision == ModelPrecision.Int8 ? $", {2 * m.StateSize} as Q0.15" : "")})");
        if (m.SeriesTransform is { } t)
        {
            var names = FeatureNames(m);
            Line("transform", $"{TransformKind(t)}: {t.Describe()}");
            Line("", "differenced: " + (t.DifferencesInputs ? string.Join(", ", t.DifferencedInputs.Select((d, i) => (d, i)).Where(p => p.d).Select(p => names[p.i])) : "none"));
            Line("", "added back: " + string.Join(", ", t.ResidualInputs.Select((r, o) => $"output {o} ← {(r < 0 ? "nothing" : names[r])}")));
            Line("", $"state: {t.StateSize} values beside the hidden state (the last {t.History} raw inputs and a count; docs/forecasting.md)");
        }
        Line("normalization", $"input {ScalingText(m.InputNormalization)}, output {(m.OutputScaling is null ? "none" : "scale/offset per output")}");
        foreach (var p in m.Metadata.Provenance) Line("provenance", $"{p.Key} = {p.Value}");
        return sb.ToString();
    }

    /// <summary>"none", "difference" or "seasonal", as --transform names it.</summary>
    internal static string TransformKind(SeriesTransform t) => t.IsSeasonal ? "seasonal" : "difference";

    /// <summary>The features' names from the training provenance, or "feature i" when it does not name them.</summary>
    private static string[] FeatureNames(GruModel m)
    {
        var names = m.Metadata.Provenance.TryGetValue("data.features", out var text) ? text.Split(',') : Array.Empty<string>();
        return names.Length == m.InputSize ? names.Select((n, i) => $"{i} ({n})").ToArray() : Enumerable.Range(0, m.InputSize).Select(i => $"feature {i}").ToArray();
    }

    /// <summary>How the inputs are scaled, read from the stored mean and std: as tinygru train --scale names it.</summary>
    internal static string ScalingKind(InputNormalization? norm) =>
        norm is null ? "none"
        : norm.Mean.Length < 2 || norm.Mean.Distinct().Count() > 1 || norm.Std.Distinct().Count() > 1 ? "feature"
        : norm.Mean[0] == 0 ? "pooled-std" : "pooled";

    private static string ScalingText(InputNormalization? norm)
    {
        var inv = CultureInfo.InvariantCulture;
        return ScalingKind(norm) switch
        {
            "none" => "none",
            "pooled-std" => $"pooled-std (every feature ÷ {norm!.Std[0].ToString("G5", inv)}, not centered)",
            "pooled" => $"pooled (every feature − {norm!.Mean[0].ToString("G5", inv)}, ÷ {norm.Std[0].ToString("G5", inv)})",
            _ => "mean/std per feature",
        };
    }

    private static string PrecisionText(GruModel m)
    {
        var inv = CultureInfo.InvariantCulture;
        return m.Precision switch
        {
            ModelPrecision.Int8 => $"int8, integer-only (input int8 scale {m.Quantization!.Input!.Scale.ToString("G6", inv)}, zero point {m.Quantization.Input.ZeroPoint}; docs/quantization.md)",
            ModelPrecision.Int8Weights => "int8-weights (int8 weights with per-row scales, float arithmetic)",
            _ => "float32",
        };
    }

    internal static string Json(string path, ModelFileKind kind, GruModel m)
    {
        var f = ModelFootprint.Of(m);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("file", path);
            w.WriteString("format", FormatName(kind));
            if (m.Metadata.Name is null) w.WriteNull("name"); else w.WriteString("name", m.Metadata.Name);
            w.WriteString("task", TinyGruModelFile.TaskName(m.Metadata.Task));
            w.WriteString("convention", TinyGruModelFile.ConventionName(m.Convention));
            w.WriteNumber("inputSize", m.InputSize);
            w.WriteNumber("outputSize", m.OutputSize);
            w.WriteString("gateActivation", Activations.Name(m.GateActivation));
            if (m.Embedding is { } e)
            {
                w.WriteStartObject("embedding");
                w.WriteNumber("vocabularySize", e.VocabularySize);
                w.WriteNumber("embeddingSize", e.EmbeddingSize);
                w.WriteEndObject();
            }
            else w.WriteNull("embedding");
            w.WriteStartArray("denseLayers");
            foreach (var d in m.DenseLayers)
            {
                w.WriteStartObject();
                w.WriteNumber("inputSize", d.InputSize);
                w.WriteNumber("outputSize", d.OutputSize);
                w.WriteString("activation", TinyGruModelFile.ActivationName(d.Activation));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("layers");
            foreach (var l in m.Layers)
            {
                w.WriteStartObject();
                w.WriteNumber("inputSize", l.InputSize);
                w.WriteNumber("hiddenSize", l.HiddenSize);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (m.Head is { } h)
            {
                w.WriteStartObject("head");
                w.WriteNumber("inputSize", h.InputSize);
                w.WriteNumber("outputSize", h.OutputSize);
                w.WriteString("activation", TinyGruModelFile.ActivationName(h.Activation));
                w.WriteEndObject();
            }
            else w.WriteNull("head");
            w.WriteStartArray("labels");
            foreach (var l in m.Metadata.ClassLabels) w.WriteStringValue(l);
            w.WriteEndArray();
            w.WriteNumber("parameters", m.ParameterCount);
            w.WriteNumber("float32WeightBytes", f.Float32WeightBytes);
            w.WriteNumber("int8WeightBytes", f.Int8WeightBytes);
            w.WriteNumber("stateBytes", f.StateBytes);
            w.WriteString("precision", ModelPrecisions.Name(m.Precision));
            if (m.Quantization?.Input is { } input)
            {
                w.WriteNumber("inputQuantScale", input.Scale);
                w.WriteNumber("inputQuantZeroPoint", input.ZeroPoint);
            }
            w.WriteStartObject("footprint");
            foreach (var p in f.Precisions)
            {
                w.WriteStartObject(ModelPrecisions.Name(p.Precision));
                w.WriteNumber("flashBytes", p.FlashBytes);
                w.WriteNumber("ramBytes", p.RamBytes);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteBoolean("inputNormalization", m.InputNormalization is not null);
            w.WriteString("inputScaling", ScalingKind(m.InputNormalization));
            if (m.SeriesTransform is { } t)
            {
                w.WriteStartObject("seriesTransform");
                w.WriteString("kind", TransformKind(t));
                w.WriteNumber("season", t.Season);
                w.WriteNumber("residualDelay", t.ResidualDelay);
                w.WriteStartArray("differencedInputs");
                for (int i = 0; i < t.DifferencedInputs.Length; i++) if (t.DifferencedInputs[i]) w.WriteNumberValue(i);
                w.WriteEndArray();
                w.WriteStartArray("residualInputs");
                foreach (int r in t.ResidualInputs) w.WriteNumberValue(r);
                w.WriteEndArray();
                w.WriteNumber("stateSize", t.StateSize);
                w.WriteEndObject();
            }
            else w.WriteNull("seriesTransform");
            w.WriteBoolean("outputScaling", m.OutputScaling is not null);
            w.WriteStartObject("provenance");
            foreach (var p in m.Metadata.Provenance) w.WriteString(p.Key, p.Value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
