using System.Globalization;
using TinyGru.Model;
using TinyGru.Runtime;

namespace TinyGru.Training;

/// <summary>
/// Examples read from a CSV file, in the user's units: N sequences [N, T, I] and their targets — class indices,
/// 0/1 labels or real values [N, O]. <see cref="Load"/> applies a <see cref="DataSpec"/>'s layout and missing-value
/// policy; every error names the file, line and column.
/// </summary>
public sealed class SequenceExamples
{
    private SequenceExamples(LearningTask task, int steps, IReadOnlyList<string> featureNames, IReadOnlyList<string> outputNames,
        float[] inputs, float[]? targets, int[]? labels, float[]? lastValues, int[] lines, TargetTiming timing = TargetTiming.LastStep,
        float[]? seasonalValues = null)
    {
        SeasonalValues = seasonalValues;
        Timing = timing;
        Task = task;
        Steps = steps;
        FeatureNames = featureNames;
        OutputNames = outputNames;
        Inputs = inputs;
        Targets = targets;
        Labels = labels;
        LastValues = lastValues;
        Lines = lines;
    }

    /// <summary>What is learned.</summary>
    public LearningTask Task { get; }

    /// <summary>
    /// Series read with a season length m (<see cref="DataSpec.Season"/>): per target, like <see cref="LastValues"/>, its
    /// value one season before the forecast time (y_{t+h−m}, or whole seasons further back when h &gt; m) — the
    /// seasonal-naive forecast — or NaN where the series does not reach back that far; null without a season.
    /// </summary>
    public float[]? SeasonalValues { get; }

    /// <summary>Timesteps per sequence T.</summary>
    public int Steps { get; }

    /// <summary>Whether targets belong to the last step only or to every step.</summary>
    public TargetTiming Timing { get; }

    /// <summary>Targets per sequence P: 1, or T for every-step targets.</summary>
    public int TargetsPerSequence => Timing == TargetTiming.LastStep ? 1 : Steps;

    /// <summary>Names of the I features of a step.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Class names (classification), label names (multi-label) or target column names: one per output.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Features per step I.</summary>
    public int InputSize => FeatureNames.Count;

    /// <summary>Network outputs O.</summary>
    public int OutputSize => OutputNames.Count;

    /// <summary>Number of sequences N.</summary>
    public int Count => Lines.Length;

    /// <summary>[N, T, I] raw feature values.</summary>
    public float[] Inputs { get; }

    /// <summary>[N, P, O] raw targets (regression, forecast, multi-label), or null.</summary>
    public float[]? Targets { get; }

    /// <summary>[N] class indices into <see cref="OutputNames"/> (classification), or null.</summary>
    public int[]? Labels { get; }

    /// <summary>[N, P, O] the targets' values at the step each forecast is made from: the naive last-value forecast (series only).</summary>
    public float[]? LastValues { get; }

    /// <summary>The file line each example comes from (its first row for a series window).</summary>
    public int[] Lines { get; }

    /// <summary>
    /// Reads examples. For classification, <paramref name="knownClasses"/> (a trained model's labels) fixes the class
    /// order and rejects other labels; otherwise the classes are the distinct labels, sorted numerically when all are numbers.
    /// </summary>
    public static SequenceExamples Load(CsvTable table, DataSpec spec, IReadOnlyList<string>? knownClasses = null)
    {
        if (spec.Vocabulary is not null && spec.Layout == DataLayout.Series)
            throw new TrainingException($"{table.Source}: --vocab: token input is read from --layout sequences (one sequence of token ids per row)");
        return spec.Layout == DataLayout.Series ? LoadSeries(table, spec) : LoadSequences(table, spec, knownClasses);
    }

    /// <summary>
    /// The examples at <paramref name="indices"/> in the network's units: inputs normalized, real targets scaled to mean
    /// 0 and std 1. With <paramref name="inputQuantizer"/>, each input is the value its int8 code stands for instead.
    /// </summary>
    public SequenceSet ToSequenceSet(IReadOnlyList<int> indices, DataStatistics statistics, InputFakeQuantizer? inputQuantizer = null)
    {
        int x = Steps * InputSize, o = OutputSize, y = TargetsPerSequence * o;
        var inputs = new float[indices.Count * x];
        var targets = Targets is null ? null : new float[indices.Count * y];
        var labels = Labels is null ? null : new int[indices.Count];
        for (int n = 0; n < indices.Count; n++)
        {
            int s = indices[n];
            for (int j = 0; j < x; j++)
            {
                int f = j % InputSize;
                inputs[n * x + j] = inputQuantizer is null
                    ? (Inputs[s * x + j] - statistics.InputMean[f]) / statistics.InputStd[f]
                    : inputQuantizer.Apply(Inputs[s * x + j], f);
            }
            if (targets is not null)
                for (int j = 0; j < y; j++)
                    targets[n * y + j] = statistics.OutputScale is null ? Targets![s * y + j] : (Targets![s * y + j] - statistics.OutputOffset![j % o]) / statistics.OutputScale[j % o];
            if (labels is not null) labels[n] = Labels![s];
        }
        return new SequenceSet(Steps, InputSize, inputs, Timing, o, targets, labels);
    }

    /// <summary>
    /// The examples as the network of a model with <paramref name="transform"/> sees them: each window run through a
    /// fresh <see cref="SeriesTransformState"/> (differenced features, 0 until m steps are known), and each residual target
    /// replaced by its change from the value the model adds back at that step. <see cref="LastValues"/> stay in the user's units.
    /// </summary>
    public SequenceExamples Transformed(SeriesTransform transform)
    {
        if (Targets is null) throw new TrainingException("series transforms apply to forecasts");
        int steps = Steps, inputs = InputSize, o = OutputSize, per = TargetsPerSequence, x = steps * inputs;
        var state = new SeriesTransformState(transform);
        var changed = new float[Inputs.Length];
        var targets = (float[])Targets.Clone();
        var added = new float[o];
        for (int n = 0; n < Count; n++)
        {
            state.Reset();
            for (int t = 0; t < steps; t++)
            {
                var raw = Inputs.AsSpan(n * x + t * inputs, inputs);
                state.Apply(raw, changed.AsSpan(n * x + t * inputs, inputs));
                int p = per == 1 ? (t == steps - 1 ? 0 : -1) : t;   // the target forecast from this step, if any
                if (p < 0) continue;
                Array.Clear(added);
                state.AddBack(raw, added);                          // exactly what the model will add back here
                for (int j = 0; j < o; j++) targets[(n * per + p) * o + j] -= added[j];
            }
        }
        return new SequenceExamples(Task, steps, FeatureNames, OutputNames, changed, targets, Labels, LastValues, Lines, Timing, SeasonalValues);
    }

    private static SequenceExamples LoadSequences(CsvTable table, DataSpec spec, IReadOnlyList<string>? knownClasses)
    {
        var task = spec.EffectiveTask;
        if (spec.EveryStep) throw new TrainingException($"{table.Source}: --every-step applies to --layout series");
        if (spec.Labels.Count == 0) throw new TrainingException($"{table.Source}: --label: name the label column (columns: {string.Join(", ", table.Header.Take(8))}{(table.Header.Count > 8 ? ", …" : "")})");
        var labelColumns = spec.Labels.Select(l => table.Column(l, "--label")).ToArray();
        if (labelColumns.Distinct().Count() != labelColumns.Length) throw new TrainingException($"{table.Source}: --label names a column twice");
        if (task == LearningTask.Classification && labelColumns.Length != 1)
            throw new TrainingException($"{table.Source}: --label: classification takes one label column; use --task multilabel or --task regression for several");
        var featureColumns = spec.Features.Count > 0
            ? spec.Features.Select(f => table.Column(f, "--features")).Distinct().Order().ToArray() // file order, as predict reads rows
            : Enumerable.Range(0, table.Header.Count).Where(c => !labelColumns.Contains(c)).ToArray();
        if (featureColumns.Intersect(labelColumns).FirstOrDefault(-1) is int both and >= 0)
            throw new TrainingException($"{table.Source}: --features: '{table.Header[both]}' is also a label column");
        if (featureColumns.Length == 0) throw new TrainingException($"{table.Source}: there are no feature columns besides the label");
        int steps = spec.Steps ?? featureColumns.Length;
        if (steps < 1 || featureColumns.Length % steps != 0)
            throw new TrainingException($"{table.Source}: --steps {steps}: the {featureColumns.Length} feature columns do not split into {steps} steps of equal size");
        int inputs = featureColumns.Length / steps;
        if (spec.Vocabulary is int vocabulary)
        {
            if (inputs != 1)
                throw new TrainingException($"{table.Source}: --vocab: token input is one id per step, so one column per step; --steps {steps} makes {inputs} columns per step of the {featureColumns.Length} feature columns (leave --steps out).");
            if (spec.Missing != MissingPolicy.Error)
                throw new TrainingException($"{table.Source}: --vocab: token ids cannot be interpolated or dropped by --missing; every cell must be an id");
        }
        var featureNames = featureColumns.Take(inputs).Select(c => table.Header[c]).ToArray(); // named after the first step's columns

        var inputValues = new List<float>(table.Rows.Count * featureColumns.Length);
        var rowsKept = new List<int>();
        var labelsKept = new List<string[]>();
        var series = new float[steps];
        var present = new bool[steps];
        for (int row = 0; row < table.Rows.Count; row++)
        {
            var cells = table.Rows[row];
            // A row whose label is unusable cannot be repaired: reported (error) or left out (drop, interpolate).
            var labels = labelColumns.Select(c => cells[c]).ToArray();
            int bad = Array.FindIndex(labels, v => task == LearningTask.Classification ? v.Length == 0 : !CsvTable.TryNumber(v, out _));
            if (bad >= 0)
            {
                if (spec.Missing == MissingPolicy.Error)
                    throw new TrainingException($"{table.Source}: {table.Where(row, labelColumns[bad])}: '{CsvTable.Echo(labels[bad])}' is {(labels[bad].Length == 0 ? "empty" : "not a number")}; the label is needed (--missing drop leaves such rows out)");
                continue;
            }
            var values = new float[featureColumns.Length];
            bool dropped = false;
            for (int j = 0; j < featureColumns.Length && !dropped; j++)
            {
                if (spec.Vocabulary is int v)
                {
                    values[j] = TokenId(table, row, featureColumns[j], v);
                    continue;
                }
                if (CsvTable.TryNumber(cells[featureColumns[j]], out values[j])) continue;
                if (spec.Missing == MissingPolicy.Error) throw NotANumber(table, row, featureColumns[j]);
                if (spec.Missing == MissingPolicy.Drop) dropped = true;
                else values[j] = float.NaN;
            }
            if (dropped) continue;
            if (spec.Missing == MissingPolicy.Interpolate)
                for (int f = 0; f < inputs; f++)
                {
                    for (int t = 0; t < steps; t++) { series[t] = values[t * inputs + f]; present[t] = !float.IsNaN(series[t]); }
                    if (!Interpolate(series, present))
                        throw new TrainingException($"{table.Source}: line {table.LineNumbers[row]}: feature {f + 1} has no number at any step; nothing to interpolate from (--missing drop leaves such rows out)");
                    for (int t = 0; t < steps; t++) values[t * inputs + f] = series[t];
                }
            inputValues.AddRange(values);
            rowsKept.Add(row);
            labelsKept.Add(labels);
        }
        if (rowsKept.Count == 0) throw new TrainingException($"{table.Source}: no rows are left after leaving out rows with missing values");
        int[] lines = rowsKept.Select(r => table.LineNumbers[r]).ToArray();

        switch (task)
        {
            case LearningTask.Classification:
            {
                var names = labelsKept.Select(l => l[0]).ToArray();
                for (int n = 0; n < names.Length; n++)
                    if (names[n].Length > TinyGru.Model.ModelLimits.MaxLabelLength)
                        throw new TrainingException($"{table.Source}: line {lines[n]}: label '{CsvTable.Echo(names[n])}' is {names[n].Length} characters long; class labels may have at most {TinyGru.Model.ModelLimits.MaxLabelLength}");
                IReadOnlyList<string> classes = knownClasses ?? SortClasses(names.Distinct(StringComparer.Ordinal));
                if (knownClasses is null && classes.Count < 2)
                    throw new TrainingException($"{table.Source}: --label {spec.Labels[0]}: found {classes.Count} class ('{CsvTable.Echo(classes.FirstOrDefault() ?? "")}'); classification needs at least two");
                var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
                var labels = new int[names.Length];
                for (int n = 0; n < names.Length; n++)
                    if (!index.TryGetValue(names[n], out labels[n]))
                        throw new TrainingException($"{table.Source}: line {lines[n]}: label '{CsvTable.Echo(names[n])}' is not one of the model's classes ({string.Join(", ", classes)})");
                return new SequenceExamples(task, steps, featureNames, classes, inputValues.ToArray(), null, labels, null, lines);
            }
            default:
            {
                var targets = new float[labelsKept.Count * labelColumns.Length];
                for (int n = 0; n < labelsKept.Count; n++)
                    for (int j = 0; j < labelColumns.Length; j++)
                    {
                        float v = float.Parse(labelsKept[n][j], NumberStyles.Float, CultureInfo.InvariantCulture);
                        if (task == LearningTask.MultiLabel && v != 0 && v != 1)
                            throw new TrainingException($"{table.Source}: {table.Where(rowsKept[n], labelColumns[j])}: '{CsvTable.Echo(labelsKept[n][j])}' is not 0 or 1, as multi-label targets must be");
                        targets[n * labelColumns.Length + j] = v;
                    }
                return new SequenceExamples(task, steps, featureNames, labelColumns.Select(c => table.Header[c]).ToArray(), inputValues.ToArray(), targets, null, null, lines);
            }
        }
    }

    private static SequenceExamples LoadSeries(CsvTable table, DataSpec spec)
    {
        if (spec.Targets.Count == 0) throw new TrainingException($"{table.Source}: --target: name the column(s) to forecast");
        if (spec.Window is not int window || window < 1) throw new TrainingException($"{table.Source}: --window: give the number of timesteps per window (at least 1)");
        if (spec.Horizon < 1) throw new TrainingException($"{table.Source}: --horizon must be at least 1");
        var targetColumns = spec.Targets.Select(t => table.Column(t, "--target")).ToArray();
        // Features in file order: predict feeds a file's columns to the model in that order.
        var featureColumns = (spec.Features.Count == 0 ? spec.Targets : spec.Features).Select(f => table.Column(f, "--features")).Distinct().Order().ToArray();
        var used = featureColumns.Concat(targetColumns).Distinct().ToArray();

        // Parse every used column; missing cells become NaN for the policy below.
        var columns = used.Select(_ => new float[table.Rows.Count]).ToArray();
        var rowOk = Enumerable.Repeat(true, table.Rows.Count).ToArray();
        for (int row = 0; row < table.Rows.Count; row++)
            for (int u = 0; u < used.Length; u++)
            {
                if (CsvTable.TryNumber(table.Rows[row][used[u]], out columns[u][row])) continue;
                if (spec.Missing == MissingPolicy.Error) throw NotANumber(table, row, used[u]);
                columns[u][row] = float.NaN;
                rowOk[row] = false;
            }
        var rows = Enumerable.Range(0, table.Rows.Count).Where(r => spec.Missing != MissingPolicy.Drop || rowOk[r]).ToArray();
        if (spec.Missing == MissingPolicy.Interpolate)
            for (int u = 0; u < used.Length; u++)
                if (!Interpolate(columns[u], columns[u].Select(v => !float.IsNaN(v)).ToArray()))
                    throw new TrainingException($"{table.Source}: column '{table.Header[used[u]]}' has no numbers; nothing to interpolate from");

        int count = rows.Length - window - spec.Horizon + 1;
        if (count < 1)
            throw new TrainingException($"{table.Source}: --window {window} with --horizon {spec.Horizon} needs at least {window + spec.Horizon} rows; the series has {rows.Length}");
        int inputs = featureColumns.Length, outputs = targetColumns.Length;
        var featureIndex = featureColumns.Select(c => Array.IndexOf(used, c)).ToArray();
        var targetIndex = targetColumns.Select(c => Array.IndexOf(used, c)).ToArray();
        int per = spec.EveryStep ? window : 1;
        var x = new float[count * window * inputs];
        var y = new float[count * per * outputs];
        var last = new float[count * per * outputs];
        if (spec.Season is int season && season < 0) throw new TrainingException($"{table.Source}: --season must be 0 (none) or a number of steps");
        var seasonal = spec.Season is int m and > 0 ? new float[count * per * outputs] : null;
        int seasonsBack = spec.Season is int m2 and > 0 ? m2 * ((spec.Horizon + m2 - 1) / m2) : 0;   // whole seasons reaching back past the horizon
        var lines = new int[count];
        for (int n = 0; n < count; n++)
        {
            for (int t = 0; t < window; t++)
                for (int f = 0; f < inputs; f++)
                    x[(n * window + t) * inputs + f] = columns[featureIndex[f]][rows[n + t]];
            for (int p = 0; p < per; p++)
            {
                int from = n + (spec.EveryStep ? p : window - 1);      // the step a forecast is made from
                for (int o = 0; o < outputs; o++)
                {
                    y[(n * per + p) * outputs + o] = columns[targetIndex[o]][rows[from + spec.Horizon]];
                    last[(n * per + p) * outputs + o] = columns[targetIndex[o]][rows[from]];
                    if (seasonal is not null)
                    {
                        int back = from + spec.Horizon - seasonsBack;
                        seasonal[(n * per + p) * outputs + o] = back >= 0 ? columns[targetIndex[o]][rows[back]] : float.NaN;
                    }
                }
            }
            lines[n] = table.LineNumbers[rows[n]];
        }
        return new SequenceExamples(LearningTask.Forecast, window, featureColumns.Select(c => table.Header[c]).ToArray(),
            targetColumns.Select(c => table.Header[c]).ToArray(), x, y, null, last, lines, spec.EveryStep ? TargetTiming.EveryStep : TargetTiming.LastStep, seasonal);
    }

    /// <summary>A token id cell: a whole number from 0 to V − 1, or a one-line error naming file, line, column and V.</summary>
    private static float TokenId(CsvTable table, int row, int column, int vocabulary)
    {
        string cell = table.Rows[row][column];
        if (!CsvTable.TryNumber(cell, out float id) || id != MathF.Floor(id))
            throw new TrainingException($"{table.Source}: {table.Where(row, column)}: '{CsvTable.Echo(cell)}' is not a token id; with --vocab {vocabulary} every input cell is a whole number from 0 to {vocabulary - 1}.");
        if (id < 0 || id >= vocabulary)
            throw new TrainingException($"{table.Source}: {table.Where(row, column)}: token id {CsvTable.Echo(cell)} is outside the vocabulary of {vocabulary} ids (--vocab {vocabulary}: expected 0 to {vocabulary - 1}).");
        return id;
    }

    private static TrainingException NotANumber(CsvTable table, int row, int column)
    {
        string cell = table.Rows[row][column];
        return new TrainingException($"{table.Source}: {table.Where(row, column)}: '{CsvTable.Echo(cell)}' is {(cell.Length == 0 ? "empty" : "not a number")} (--missing drop or --missing interpolate handle such cells)");
    }

    /// <summary>Fills gaps linearly between present values and holds the ends; false when nothing is present.</summary>
    private static bool Interpolate(float[] values, bool[] present)
    {
        int previous = -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (!present[i]) continue;
            if (previous < 0) for (int j = 0; j < i; j++) values[j] = values[i];
            else for (int j = previous + 1; j < i; j++) values[j] = values[previous] + (values[i] - values[previous]) * (j - previous) / (i - previous);
            previous = i;
        }
        if (previous < 0) return false;
        for (int j = previous + 1; j < values.Length; j++) values[j] = values[previous];
        return true;
    }

    private static IReadOnlyList<string> SortClasses(IEnumerable<string> names)
    {
        var list = names.ToList();
        if (list.All(n => double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            return list.OrderBy(n => double.Parse(n, NumberStyles.Float, CultureInfo.InvariantCulture)).ThenBy(n => n, StringComparer.Ordinal).ToArray();
        return list.OrderBy(n => n, StringComparer.Ordinal).ToArray();
    }
}
