using System.Globalization;
using TinyGru.Model;

namespace TinyGru.CodeGen;

/// <summary>
/// The .NET generated code of a model's <see cref="SeriesTransform"/> (shared by the float and int8 emitters): its state
/// as fixed-size fields (a ring of the last History raw inputs and the filled count), the scalar Apply run once before the
/// path's kernels and the AddBack run once after them. Each is the same float operations in the same order as
/// TinyGru.Runtime's SeriesTransformState, so generated code feeds the network bit-identical values.
/// </summary>
internal static class NetSeriesTransformEmitter
{
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";
    private const string Span = "global::System.Span<float>";

    private static string I(long v) => CSharpLiterals.Int(v);

    /// <summary>Floats of transform state (0 without a transform or without history).</summary>
    public static int StateSize(GruModel m) => m.SeriesTransform?.StateSize ?? 0;

    /// <summary>Throws when the model's transform cannot be generated (a token model has no raw feature values to difference).</summary>
    public static void Check(GruModel m, string? sourceName)
    {
        if (m.SeriesTransform is not null && m.Embedding is not null)
            throw new ModelFormatException(sourceName, "series transform", "a token model cannot have a series transform");
    }

    /// <summary>The remarks paragraph describing the transform, its state and the first steps after Reset.</summary>
    public static void EmitDoc(IndentedWriter w, GruModel m, bool inStateSize)
    {
        if (m.SeriesTransform is not { } t) return;
        string where = inStateSize
            ? $"the last {t.StateSize} floats of StateSize (after the hidden states) hold it"
            : "CopySeriesStateTo/SetSeriesState copy it ([SeriesStateSize] floats)";
        string state = t.History == 0
            ? "It keeps no state."
            : $"Its state is the last {t.History} raw input{(t.History == 1 ? "" : "s")} [{t.History}, {t.DifferencedInputs.Length}], most recent first, then how many of them are filled (0 … {t.History}); {where}. " +
              (t.DifferencesInputs ? $"After Reset the first {t.History} step{(t.History == 1 ? "" : "s")} see a change of 0 for differenced features" : "Reset forgets them") +
              (t.IsSeasonal && t.IsResidual ? $"; residual outputs add back y_t alone until {t.Season} earlier steps are known." : ".");
        w.Line($"/// <para>Series transform (docs/forecasting.md): {Xml(t.Describe())}. Inputs are raw series values: Step feeds the network the transform of the input " +
               $"and adds each residual output's base to its output. {state}</para>");
    }

    private static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>The state fields: a ring [History, I] of raw inputs, the slot of the newest and the filled count.</summary>
    public static void EmitFields(IndentedWriter w, GruModel m)
    {
        if (m.SeriesTransform is not { History: > 0 } t) return;
        int inputs = t.DifferencedInputs.Length;
        w.Line($"/// <summary>Series transform: ring of the last {t.History} raw inputs [{t.History}, {inputs}]; slot _seriesNewest holds the most recent, slot (_seriesNewest + j) mod {t.History} the one j steps earlier.</summary>");
        w.Line($"[global::System.Runtime.CompilerServices.InlineArray({I(t.History * inputs)})]");
        w.Line("private struct SeriesHistory { private float _element0; }");
        w.Line("private SeriesHistory _seriesHistory;");
        w.Line("private int _seriesNewest;");
        w.Line("/// <summary>How many earlier raw inputs the ring holds (0 … History).</summary>");
        w.Line("private int _seriesFilled;");
        w.Line();
    }

    /// <summary>Reset's lines for the transform state.</summary>
    public static void EmitReset(IndentedWriter w, GruModel m)
    {
        if (m.SeriesTransform is not { History: > 0 }) return;
        w.Line("_seriesHistory = default;");
        w.Line("_seriesNewest = 0;");
        w.Line("_seriesFilled = 0;");
    }

    /// <summary>True when Step must run SeriesApply (the network sees something other than the raw input, or history is kept).</summary>
    public static bool HasApply(GruModel m) => m.SeriesTransform is { History: > 0 };

    /// <summary>True when Step must run SeriesAddBack.</summary>
    public static bool HasAddBack(GruModel m) => m.SeriesTransform is { IsResidual: true };

    /// <summary>Writes the transform state into <c>{span}.Slice(at)</c> in SeriesTransformState.CopyTo's layout.</summary>
    public static void EmitCopyTo(IndentedWriter w, GruModel m, string span, int at)
    {
        if (m.SeriesTransform is not { History: > 0 } t) return;
        int inputs = t.DifferencedInputs.Length, depth = t.History;
        w.Line("// Series transform: the remembered raw inputs, most recent first, then the filled count.");
        w.Line($"for (int j = 0; j < {I(depth)}; j++)");
        w.Line($"    ((global::System.ReadOnlySpan<float>)_seriesHistory).Slice((_seriesNewest + j) % {I(depth)} * {I(inputs)}, {I(inputs)}).CopyTo({span}.Slice({I(at)} + j * {I(inputs)}, {I(inputs)}));");
        w.Line($"{span}[{I(at + depth * inputs)}] = _seriesFilled;");
    }

    /// <summary>SetFrom's validation of the filled count at <c>{span}[at + History·I]</c>; emit before anything is copied.</summary>
    public static void EmitSetValidation(IndentedWriter w, GruModel m, string span, int at)
    {
        if (m.SeriesTransform is not { History: > 0 } t) return;
        int depth = t.History, filledAt = at + depth * t.DifferencedInputs.Length;
        w.Line($"float seriesFilled = {span}[{I(filledAt)}];");
        w.Line($"if (!(seriesFilled >= 0 && seriesFilled <= {I(depth)}) || seriesFilled != global::System.MathF.Floor(seriesFilled))");
        w.Line($"    throw new global::System.ArgumentException($\"the filled count {{seriesFilled}} of the transform state is not a whole number from 0 to {I(depth)}\");");
    }

    /// <summary>SetFrom's copy (after <see cref="EmitSetValidation"/>): the ring restarts with the newest in slot 0.</summary>
    public static void EmitSetCopy(IndentedWriter w, GruModel m, string span, int at)
    {
        if (m.SeriesTransform is not { History: > 0 } t) return;
        int n = t.History * t.DifferencedInputs.Length;
        w.Line($"{span}.Slice({I(at)}, {I(n)}).CopyTo((global::System.Span<float>)_seriesHistory);");
        w.Line("_seriesNewest = 0;");
        w.Line("_seriesFilled = (int)seriesFilled;");
    }

    /// <summary>
    /// For the int8 target (whose StateSize counts Q0.15 values): SeriesStateSize and the float copy methods of the
    /// transform state alone, in SeriesTransformState.CopyTo's layout and with SetFrom's checks.
    /// </summary>
    public static void EmitSeparateStateApi(IndentedWriter w, GruModel m)
    {
        if (m.SeriesTransform is not { History: > 0 } t) return;
        w.Line("/// <summary>Floats of series transform state: the last History raw inputs, most recent first, then the filled count.</summary>");
        w.Line($"public const int SeriesStateSize = {I(t.StateSize)};");
        w.Line();
        w.Line("/// <summary>Copies the series transform state (the remembered raw inputs, most recent first, then how many are filled) into <paramref name=\"destination\"/> [SeriesStateSize].</summary>");
        using (w.Block($"public void CopySeriesStateTo({Span} destination)"))
        {
            w.Line("if (destination.Length != SeriesStateSize) throw new global::System.ArgumentException($\"expected {SeriesStateSize} floats of transform state, got {destination.Length}\");");
            EmitCopyTo(w, m, "destination", 0);
        }
        w.Line();
        w.Line("/// <summary>Restores a series transform state written by <see cref=\"CopySeriesStateTo\"/>; the filled count must be a whole number from 0 to History.</summary>");
        using (w.Block($"public void SetSeriesState({ReadOnlySpan} source)"))
        {
            w.Line("if (source.Length != SeriesStateSize) throw new global::System.ArgumentException($\"expected {SeriesStateSize} floats of transform state, got {source.Length}\");");
            EmitSetValidation(w, m, "source", 0);
            EmitSetCopy(w, m, "source", 0);
        }
        w.Line();
    }

    /// <summary>
    /// SeriesApply and SeriesAddBack: scalar, once per step, whatever the path. <paramref name="nanoFramework"/>: C# 9
    /// for nanoFramework, with float[] parameters and the ring in the float[] field _seriesHistory.
    /// </summary>
    public static void EmitMethods(IndentedWriter w, GruModel m, bool nanoFramework = false)
    {
        string rawType = nanoFramework ? "float[]" : ReadOnlySpan, outType = nanoFramework ? "float[]" : Span;
        if (m.SeriesTransform is not { } t) return;
        var d = t.DifferencedInputs;
        int inputs = d.Length, depth = t.History, season = t.Season, delay = t.ResidualDelay;
        // Earlier(j)[i]: the raw input i, j steps before the newest remembered one.
        string Earlier(int j, int i) => $"_seriesHistory[(_seriesNewest + {I(j)}) % {I(depth)} * {I(inputs)} + {I(i)}]";

        if (depth > 0)
        {
            w.Line("/// <summary>");
            w.Line("/// What the network sees for <paramref name=\"raw\"/> [InputSize] (before input normalization): for differenced features the change " +
                   (season == 0 ? "x_t − x_{t−1}" : $"(x_t − x_{{t−1}}) − (x_{{t−{season}}} − x_{{t−{season + 1}}})") +
                   $", 0 until {depth} earlier input{(depth == 1 ? " is" : "s are")} known; the raw value otherwise. Remembers <paramref name=\"raw\"/> as the most recent input.");
            w.Line("/// </summary>");
            using (w.Block($"private void SeriesApply({rawType} raw, {outType} network)"))
            {
                if (t.DifferencesInputs) w.Line($"bool ready = _seriesFilled == {I(depth)}; // every earlier input the change needs is known");
                for (int i = 0; i < inputs; i++)
                {
                    if (!d[i]) w.Line($"network[{I(i)}] = raw[{I(i)}];");
                    else if (season == 0)
                        w.Line($"network[{I(i)}] = ready ? raw[{I(i)}] - {Earlier(0, i)} : 0f; // x_t − x_{{t−1}}");
                    else
                        w.Line($"network[{I(i)}] = ready ? (raw[{I(i)}] - {Earlier(0, i)}) - ({Earlier(season - 1, i)} - {Earlier(season, i)}) : 0f; // (x_t − x_{{t−1}}) − (x_{{t−{season}}} − x_{{t−{season + 1}}})");
                }
                w.Line("// The new input replaces the oldest slot.");
                w.Line($"_seriesNewest = (_seriesNewest + {I(depth - 1)}) % {I(depth)};");
                if (nanoFramework) w.Line($"for (int i = 0; i < {I(inputs)}; i++) _seriesHistory[_seriesNewest * {I(inputs)} + i] = raw[i];");
                else w.Line($"raw.CopyTo(((global::System.Span<float>)_seriesHistory).Slice(_seriesNewest * {I(inputs)}, {I(inputs)}));");
                w.Line($"if (_seriesFilled < {I(depth)}) _seriesFilled++;");
            }
            w.Line();
        }

        if (!t.IsResidual) return;
        w.Line("/// <summary>Adds each residual output's base to it (in the user's units); after SeriesApply of the same step.</summary>");
        using (w.Block($"private void SeriesAddBack({rawType} raw, {outType} output)"))
        {
            if (season != 0) w.Line($"bool seasonal = _seriesFilled > {I(season)}; // y_t alone until {season} earlier steps are known");
            for (int o = 0; o < t.ResidualInputs.Length; o++)
            {
                int f = t.ResidualInputs[o];
                if (f < 0) continue;
                if (season == 0) w.Line($"output[{I(o)}] += raw[{I(f)}]; // + y_t");
                else w.Line($"output[{I(o)}] += seasonal ? raw[{I(f)}] + ({Earlier(delay, f)} - {Earlier(season, f)}) : raw[{I(f)}]; // + y_t + y_{{t−{delay}}} − y_{{t−{season}}}");
            }
        }
        w.Line();
    }
}
