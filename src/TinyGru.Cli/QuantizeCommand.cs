using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>
/// <c>tinygru quantize MODEL --calibration DATA.csv --layout … --precision int8|int8-weights -o OUT</c>: post-training
/// quantization. Calibrates the input range on the data (the training part when a test split is given), writes the
/// quantized model file, and prints float vs quantized on the evaluation part (the test part, else every row).
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var model = new Argument<string>("model") { Description = "Model file: TinyGru or PyTorch state_dict .safetensors, or .onnx" };
        var data = new DataOptions("--calibration", "CSV data to calibrate the input range on and to compare float with quantized outputs");
        var precision = new Option<string>("--precision") { Description = "int8: integer-only (int8 weights and inputs, Q0.15 state); int8-weights: int8 weights, float arithmetic", DefaultValueFactory = _ => "int8" }
            .AcceptOnlyFromAmong("int8", "int8-weights");
        var output = new Option<string>("--output", "-o") { Description = "Quantized TinyGru model file to write (.safetensors)", Required = true };
        var headroom = TrainCommand.HeadroomOption();
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var command = new Command("quantize", "Quantize a model to int8 (integer-only or weights-only), calibrated on CSV data") { model };
        data.AddTo(command, withValidation: false);
        command.Options.Add(precision);
        command.Options.Add(output);
        command.Options.Add(headroom);
        command.Options.Add(json);
        command.SetAction(parse => TinyGruCommandLine.Guard(parse, stderr, () =>
        {
            string modelPath = parse.GetValue(model)!, outPath = parse.GetValue(output)!, dataPath = parse.GetValue(data.Data)!;
            ModelPrecisions.TryParse(parse.GetValue(precision)!, out var p);
            double inputHeadroom = TrainCommand.Headroom(parse.GetValue(headroom), p == ModelPrecision.Int8, "--precision int8 (int8-weights keeps float inputs)");
            AtomicFile.CheckOutputPath(outPath, dataPath);
            var m = CliModelLoader.Load(modelPath);
            var spec = data.Spec(parse, 0);
            spec = spec with { Task = spec.Task ?? EvalCommand.TaskOf(m), Vocabulary = m.Embedding?.VocabularySize };   // token ids checked as read
            var examples = SequenceExamples.Load(CsvTable.Read(dataPath), SeriesTransforms.LoadingSpec(spec, m),
                spec.EffectiveTask == LearningTask.Classification ? EvalCommand.ClassesOf(m) : null);
            bool split = spec.TestEvery is not null || spec.TestFraction is not null;
            var all = Enumerable.Range(0, examples.Count).ToArray();
            var parts = split ? DataSplit.Of(examples, spec, dataPath) : null;
            QuantizationReport report;
            try { report = QuantizeAndSave(m, p, examples, parts?.Train ?? all, parts?.Test ?? all, split, dataPath, outPath, inputHeadroom); }
            catch (TrainingException e) { throw new CliException($"{dataPath}: {e.Message}"); }
            catch (ModelFormatException e) when (e.FileName is null) { throw e.WithSource(modelPath); }
            var quantized = report.Quantized;

            string part = split ? $"{report.Result.Count} test examples (calibrated on {parts!.Train.Length} training examples)" : $"all {report.Result.Count} examples (also the calibration data)";
            stdout.Write(parse.GetValue(json) ? Json(outPath, quantized, report, split) : Text(modelPath, outPath, quantized, report, part));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Quantizes, records how in the model's provenance (precision, calibration data, the quantized metric) and writes
    /// the file atomically. The report's <see cref="QuantizationReport.Quantized"/> is the model as written.
    /// </summary>
    internal static QuantizationReport QuantizeAndSave(GruModel model, ModelPrecision precision, SequenceExamples examples,
        IReadOnlyList<int> calibration, IReadOnlyList<int> evaluation, bool evaluationIsTest, string dataPath, string outPath, double inputHeadroom = 0)
    {
        var report = QuantizationReport.Run(model, precision, examples, calibration, evaluation, inputHeadroom);
        var md = report.Quantized.Metadata;
        var provenance = md.Provenance.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        provenance["quantization.precision"] = ModelPrecisions.Name(precision);
        provenance["quantization.calibration_data"] = Path.GetFileName(dataPath);
        provenance["quantization.calibration_rows"] = report.Calibration.Rows.ToString(CultureInfo.InvariantCulture);
        if (inputHeadroom > 0) provenance["quantization.input_headroom"] = inputHeadroom.ToString("R", CultureInfo.InvariantCulture);
        foreach (var kv in report.Result.ToMetrics(evaluationIsTest ? "quantization.test_" : "quantization.")) provenance[kv.Key] = kv.Value;
        var quantized = report.Quantized.WithMetadata(new ModelMetadata(md.Name, md.Task, md.ClassLabels, provenance));
        AtomicFile.WriteAllBytes(outPath, TinyGruModelFile.Serialize(quantized), dataPath);
        return report with { Quantized = quantized };
    }

    internal static string Metric(ModelEvaluation e) => e.Accuracy is double a
        ? $"accuracy {(a * 100).ToString("F2", CultureInfo.InvariantCulture)} %"
        : $"RMSE {e.Rmse!.Value.ToString("G5", CultureInfo.InvariantCulture)}";

    internal static string Text(string modelPath, string outPath, GruModel q, QuantizationReport r, string part)
    {
        var inv = CultureInfo.InvariantCulture;
        var f = ModelFootprint.Of(q);
        var sb = new StringBuilder();
        void Line(string key, string value) => sb.Append(key.PadRight(13)).Append(value).Append('\n');
        Line("model", $"{modelPath}: {TrainingConsole.Architecture(q)}");
        Line("precision", ModelPrecisions.Name(q.Precision) + (q.Precision == ModelPrecision.Int8 ? " (integer-only)" : " (int8 weights, float arithmetic)"));
        if (q.IsTokenInput)
            Line("calibration", $"{r.Calibration.Rows} input rows; token model: the embedding table is the input"
                + (q.Quantization?.Input is { } table ? $" (int8 with one scale {table.Scale.ToString("G4", inv)}, zero point 0)" : ""));
        else
            Line("calibration", $"{r.Calibration.Rows} input rows, normalized range [{r.Calibration.Min.ToString("G4", inv)}, {r.Calibration.Max.ToString("G4", inv)}]"
                + (q.Quantization?.Input is { } input ? $" → int8 scale {input.Scale.ToString("G4", inv)}, zero point {input.ZeroPoint}" : ""));
        Line("evaluated on", part);
        Line("float32", Metric(r.Float));
        Line(ModelPrecisions.Name(q.Precision), Metric(r.Result) + Change(r));
        Line("outputs", $"max |Δ| {r.MaxDeviation.ToString("G3", inv)}, mean |Δ| {r.MeanDeviation.ToString("G3", inv)} (quantized − float)");
        Line("flash", $"{f.For(ModelPrecision.Float32).FlashBytes.ToString("N0", inv)} → {f.For(q.Precision).FlashBytes.ToString("N0", inv)} bytes");
        Line("RAM", $"{f.For(ModelPrecision.Float32).RamBytes.ToString("N0", inv)} → {f.For(q.Precision).RamBytes.ToString("N0", inv)} bytes");
        Line("wrote", outPath);
        return sb.ToString();
    }

    private static string Change(QuantizationReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        if (r.Result.Accuracy is double a && r.Float.Accuracy is double fa)
            return $" ({((a - fa) * 100).ToString("+0.00;−0.00;0.00", inv)} points)";
        if (r.Result.Rmse is double e && r.Float.Rmse is double fe && fe > 0)
            return $" ({((e / fe - 1) * 100).ToString("+0.00;−0.00;0.00", inv)} %)";
        return "";
    }

    private static string Json(string outPath, GruModel q, QuantizationReport r, bool split)
    {
        var f = ModelFootprint.Of(q);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", outPath);
            w.WriteString("precision", ModelPrecisions.Name(q.Precision));
            w.WriteString("part", split ? "test" : "all");
            w.WriteStartObject("calibration");
            w.WriteNumber("rows", r.Calibration.Rows);
            w.WriteNumber("min", r.Calibration.Min);
            w.WriteNumber("max", r.Calibration.Max);
            if (q.Quantization?.Input is { } input)
            {
                w.WriteNumber("inputScale", input.Scale);
                w.WriteNumber("inputZeroPoint", input.ZeroPoint);
            }
            w.WriteEndObject();
            w.WriteStartObject("float32");
            TrainingConsole.WriteEvaluation(w, r.Float);
            w.WriteEndObject();
            w.WriteStartObject("quantized");
            TrainingConsole.WriteEvaluation(w, r.Result);
            w.WriteEndObject();
            w.WriteNumber("maxDeviation", r.MaxDeviation);
            w.WriteNumber("meanDeviation", r.MeanDeviation);
            w.WriteNumber("float32FlashBytes", f.For(ModelPrecision.Float32).FlashBytes);
            w.WriteNumber("flashBytes", f.For(q.Precision).FlashBytes);
            w.WriteNumber("ramBytes", f.For(q.Precision).RamBytes);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
