using TinyGru.Model;
using TinyGru.Model.Safetensors;
using TinyGru.Runtime;
using TinyGru.Training;
using Xunit;

namespace TinyGru.Training.Tests;

public class DataTests
{
    private static readonly DataSpec Sequences = new() { Layout = DataLayout.Sequences, Labels = new[] { "label" }, Steps = 2 };

    private static TrainingException Fails(Action action) => Assert.Throws<TrainingException>(action);

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Fails(() => CsvTable.Read("/nonexistent/data.csv"));
        Assert.Equal("/nonexistent/data.csv: file not found", e.Message);
    }

    [Theory]
    [InlineData("", "d.csv: the file is empty")]
    [InlineData("\n  \n", "d.csv: the file is empty")]
    [InlineData("a,b\n", "d.csv: the file has a header but no data rows")]
    [InlineData("a,b\n1,2\n3\n", "d.csv: line 3 has 1 columns; expected 2 like the header")]
    [InlineData("1,2\n3,4,5\n", "d.csv: line 2 has 3 columns; expected 2 like the first row")]
    [InlineData("a,b\n\"1,2\n", "d.csv: line 2: a quoted cell is not closed")]
    public void MalformedFilesAreReportedWithTheLine(string text, string message)
    {
        Assert.Equal(message, Fails(() => CsvTable.Parse(text, "d.csv")).Message);
    }

    [Fact]
    public void NonNumericCellNamesLineAndColumn()
    {
        var table = CsvTable.Parse("label,a,b\nx,1,2\ny,3,oops\n", "d.csv");
        var e = Fails(() => SequenceExamples.Load(table, Sequences));
        Assert.StartsWith("d.csv: line 3, column 3 ('b'): 'oops' is not a number", e.Message);
    }

    [Fact]
    public void UnknownColumnListsTheColumns()
    {
        var table = CsvTable.Parse("label,a,b\nx,1,2\n", "d.csv");
        var e = Fails(() => SequenceExamples.Load(table, Sequences with { Labels = new[] { "class" } }));
        Assert.Equal("d.csv: --label: there is no column 'class' (columns: label, a, b)", e.Message);
        var series = new DataSpec { Layout = DataLayout.Series, Targets = new[] { "a" }, Features = new[] { "z" }, Window = 1 };
        Assert.Contains("--features: there is no column 'z'", Fails(() => SequenceExamples.Load(table, series)).Message);
    }

    [Fact]
    public void WindowLongerThanTheSeriesIsRejected()
    {
        var table = CsvTable.Parse("v\n1\n2\n3\n4\n5\n", "s.csv");
        var e = Fails(() => SequenceExamples.Load(table, new DataSpec { Layout = DataLayout.Series, Targets = new[] { "v" }, Window = 10 }));
        Assert.Equal("s.csv: --window 10 with --horizon 1 needs at least 11 rows; the series has 5", e.Message);
    }

    [Fact]
    public void OneClassIsNotEnoughForClassification()
    {
        var table = CsvTable.Parse("label,a,b\ncat,1,2\ncat,3,4\n", "d.csv");
        var e = Fails(() => SequenceExamples.Load(table, Sequences));
        Assert.Equal("d.csv: --label label: found 1 class ('cat'); classification needs at least two", e.Message);
    }

    [Fact]
    public void TooFewRowsForTheSplitSaysWhichPartIsEmpty()
    {
        var table = CsvTable.Parse("label,a,b\ncat,1,2\ndog,3,4\ncat,5,6\n", "d.csv");
        var examples = SequenceExamples.Load(table, Sequences);
        var e = Fails(() => DataSplit.Of(examples, Sequences with { TestEvery = 2 }, "d.csv"));
        Assert.Equal("d.csv: too few rows for the split (3 sequences: 1 train, 0 validation, 2 test); training needs at least 2", e.Message);
        e = Fails(() => DataSplit.Of(examples, Sequences with { ValidationFraction = 0.1 }, "d.csv"));
        Assert.Contains("the validation set would be empty", e.Message);
    }

    [Fact]
    public void FeaturesPickTheSequenceColumnsAndLeaveOthersOut()
    {
        var table = CsvTable.Parse("id,label,x0,x1,when\n7,a,1,2,noon\n8,b,3,4,dusk\n", "d.csv");
        var examples = SequenceExamples.Load(table, Sequences with { Features = new[] { "x1", "x0" } });
        Assert.Equal(new[] { 1f, 2, 3, 4 }, examples.Inputs);
        Assert.Equal(new[] { "x0" }, examples.FeatureNames);
        Assert.Equal("d.csv: --features: 'label' is also a label column", Fails(() => SequenceExamples.Load(table, Sequences with { Features = new[] { "x0", "label" } })).Message);
    }

    [Fact]
    public void FeatureColumnsMustSplitIntoSteps()
    {
        var table = CsvTable.Parse("label,a,b,c\nx,1,2,3\ny,1,2,3\n", "d.csv");
        Assert.Equal("d.csv: --steps 2: the 3 feature columns do not split into 2 steps of equal size", Fails(() => SequenceExamples.Load(table, Sequences)).Message);
    }

    [Fact]
    public void MissingCellsAreDroppedOrInterpolatedOnRequest()
    {
        const string csv = "label,s0,s1,s2,s3\nx,1,,5,7\ny,2,4,6,8\n,1,1,1,1\nx,NA,3,,9\nx,0,1,2,3\n";
        var table = CsvTable.Parse(csv, "d.csv");
        var spec = Sequences with { Steps = 4 };
        Assert.StartsWith("d.csv: line 2, column 3 ('s1'): '' is empty", Fails(() => SequenceExamples.Load(table, spec)).Message);

        var dropped = SequenceExamples.Load(table, spec with { Missing = MissingPolicy.Drop });
        Assert.Equal(new[] { 3, 6 }, dropped.Lines);

        var filled = SequenceExamples.Load(table, spec with { Missing = MissingPolicy.Interpolate });
        Assert.Equal(new[] { 2, 3, 5, 6 }, filled.Lines);                       // the row without a label is left out
        Assert.Equal(new[] { 1f, 3, 5, 7, 2, 4, 6, 8, 3, 3, 6, 9, 0, 1, 2, 3 }, filled.Inputs);
    }

    [Fact]
    public void SeriesInterpolationFillsGapsAlongTime()
    {
        var table = CsvTable.Parse("t,v\n0,1\n1,\n2,3\n3,?\n4,?\n5,9\n", "s.csv");
        var spec = new DataSpec { Layout = DataLayout.Series, Targets = new[] { "v" }, Window = 5, Missing = MissingPolicy.Interpolate };
        var examples = SequenceExamples.Load(table, spec);
        Assert.Equal(new[] { 1f, 2, 3, 5, 7 }, examples.Inputs);
        Assert.Equal(new[] { 9f }, examples.Targets);
        Assert.Equal(new[] { 7f }, examples.LastValues);
    }

    [Fact]
    public void SeriesWindowsPredictHorizonStepsAheadWithSeveralFeatures()
    {
        var table = CsvTable.Parse("a,b\n1,10\n2,20\n3,30\n4,40\n5,50\n", "s.csv");
        var spec = new DataSpec { Layout = DataLayout.Series, Targets = new[] { "b" }, Features = new[] { "b", "a" }, Window = 2, Horizon = 2 };
        var examples = SequenceExamples.Load(table, spec);
        Assert.Equal(2, examples.Count);
        Assert.Equal(new[] { 1f, 10, 2, 20, 2, 20, 3, 30 }, examples.Inputs);  // features in file order: a, b
        Assert.Equal(new[] { "a", "b" }, examples.FeatureNames);
        Assert.Equal(new[] { 40f, 50 }, examples.Targets);
        Assert.Equal(new[] { 20f, 30 }, examples.LastValues);
        Assert.Contains("--test-every", Fails(() => DataSplit.Of(examples, spec with { TestEvery = 2 }, "s.csv")).Message);
    }

    [Fact]
    public void EveryStepWindowsHaveATargetAfterEachStep()
    {
        var table = CsvTable.Parse("v\n1\n2\n3\n4\n5\n6\n", "s.csv");
        var spec = new DataSpec { Layout = DataLayout.Series, Targets = new[] { "v" }, Window = 3, Horizon = 2, EveryStep = true };
        var examples = SequenceExamples.Load(table, spec);
        Assert.Equal(2, examples.Count);                                       // windows 1–3 and 2–4; 6 is the last target
        Assert.Equal(TargetTiming.EveryStep, examples.Timing);
        Assert.Equal(new[] { 3f, 4, 5, 4, 5, 6 }, examples.Targets);
        Assert.Equal(new[] { 1f, 2, 3, 2, 3, 4 }, examples.LastValues);
        var set = examples.ToSequenceSet(new[] { 1 }, DataStatistics.Compute(examples, new[] { 0, 1 }));
        Assert.Equal(TargetTiming.EveryStep, set.Timing);
        Assert.Equal(3, set.Targets!.Length);
        Assert.Contains("--every-step applies to --layout series",
            Fails(() => SequenceExamples.Load(CsvTable.Parse("label,a\nx,1\ny,2\n", "d.csv"), Sequences with { Steps = 1, EveryStep = true })).Message);
    }

    [Fact]
    public void NumericClassNamesSortAsNumbersAndTrainedClassesFixTheOrder()
    {
        var table = CsvTable.Parse("label,a\n10,1\n2,2\n1,3\n", "d.csv");
        var spec = Sequences with { Steps = 1 };
        var examples = SequenceExamples.Load(table, spec);
        Assert.Equal(new[] { "1", "2", "10" }, examples.OutputNames);
        Assert.Equal(new[] { 2, 1, 0 }, examples.Labels);
        var e = Fails(() => SequenceExamples.Load(table, spec, new[] { "1", "2" }));
        Assert.Equal("d.csv: line 2: label '10' is not one of the model's classes (1, 2)", e.Message);
    }

    [Fact]
    public void NormalizationUsesTrainingRowsOnlyAndSurvivesConstantColumns()
    {
        // Every 2nd row (0, 2) is test; training rows 1 and 3 hold a = 2, 4 at both steps; c is constant.
        var table = CsvTable.Parse("label,a0,c0,a1,c1\nx,100,5,100,5\ny,2,5,2,5\nx,100,5,100,5\nx,4,5,4,5\n", "d.csv");
        var spec = Sequences with { TestEvery = 2 };
        var examples = SequenceExamples.Load(table, spec);
        var split = DataSplit.Of(examples, spec, "d.csv");
        var stats = DataStatistics.Compute(examples, split.Train);
        Assert.Equal(new[] { 3f, 5f }, stats.InputMean);
        Assert.Equal(new[] { 1f, 1f }, stats.InputStd);
        var set = examples.ToSequenceSet(split.Train, stats);
        Assert.Equal(new[] { -1f, 0, -1, 0, 1, 0, 1, 0 }, set.Inputs);
    }

    [Fact]
    public void TrainedModelFileTakesAndReturnsUserUnits()
    {
        var rows = Enumerable.Range(0, 80).Select(i => $"{1000 + i},{500 + 300 * Math.Sin(i * 0.4):F3}");
        var table = CsvTable.Parse("year,level\n" + string.Join("\n", rows), "levels.csv");
        var spec = new DataSpec { Layout = DataLayout.Series, Targets = new[] { "level" }, Window = 6, TestFraction = 0.25 };
        var job = TrainingJob.Prepare(table, spec);
        var options = new TrainingOptions { HiddenSizes = new[] { 8 }, Epochs = 60, BatchSize = 16, LearningRate = 0.02, Seed = 3 };
        var result = job.Run(options);
        var model = job.BuildModel(result, options, "levels");

        var reread = TinyGruModelFile.Read(SafetensorsFile.Parse(TinyGruModelFile.Serialize(model), "levels.safetensors"));
        Assert.Equal(ModelTask.Forecast, reread.Metadata.Task);
        Assert.Equal("mse", reread.Metadata.Provenance["train.loss"]);
        Assert.Equal("levels.csv", reread.Metadata.Provenance["data"]);
        var evaluation = ModelEvaluation.Of(reread, job.Examples, job.Split.Test);
        Assert.True(evaluation.Rmse < 0.5 * evaluation.NaiveRmse, $"RMSE {evaluation.Rmse} vs last value {evaluation.NaiveRmse}");

        // The file's normalization makes raw levels in give levels out: the same as the network's output de-normalized.
        var network = GruTrainer.Predict(result.Parameters, job.Examples.ToSequenceSet(job.Split.Test, job.Statistics));
        var engine = new GruReferenceEngine(reread);
        var y = new float[1];
        int first = job.Split.Test[0];
        for (int t = 0; t < 6; t++) engine.Step(job.Examples.Inputs.AsSpan(first * 6 + t, 1), y);
        Assert.Equal(network[0] * job.Statistics.OutputScale![0] + job.Statistics.OutputOffset![0], y[0], 2);
        Assert.InRange(y[0], 150, 850);
    }

    [Fact]
    public void ClassifierModelCarriesClassLabelsAndSoftmax()
    {
        var random = new Random(2);
        var lines = Enumerable.Range(0, 60).Select(i =>
        {
            string label = i % 3 == 0 ? "low" : i % 3 == 1 ? "mid" : "high";
            double level = i % 3;
            return label + "," + string.Join(",", Enumerable.Range(0, 4).Select(_ => (level + 0.2 * random.NextDouble()).ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
        });
        var table = CsvTable.Parse("kind,v0,v1,v2,v3\n" + string.Join("\n", lines), "kinds.csv");
        var spec = new DataSpec { Layout = DataLayout.Sequences, Labels = new[] { "kind" }, Steps = 4, TestEvery = 4 };
        var job = TrainingJob.Prepare(table, spec);
        var options = new TrainingOptions { HiddenSizes = new[] { 6 }, Epochs = 30, BatchSize = 8, Seed = 1 };
        var model = job.BuildModel(job.Run(options), options, "kinds");

        Assert.Equal(new[] { "high", "low", "mid" }, model.Metadata.ClassLabels);
        Assert.Equal(HeadActivation.Softmax, model.Head!.Activation);
        var evaluation = ModelEvaluation.Of(model, job.Examples, job.Split.Test);
        Assert.Equal(1.0, evaluation.Accuracy);
        Assert.Equal(job.Split.Test.Length, Enumerable.Range(0, 3).Sum(i => evaluation.ConfusionMatrix![i, i]));
    }
}
