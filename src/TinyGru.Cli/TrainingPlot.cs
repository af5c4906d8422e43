using ScottPlot;
using TinyGru.Training;

namespace TinyGru.Cli;

/// <summary>Training curves as a PNG: training and validation loss on the left axis, the validation metric on the right.</summary>
internal static class TrainingPlot
{
    public static byte[] Render(string title, IReadOnlyList<EpochReport> history, string metricName)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "loss";
        double[] epochs = history.Select(r => (double)r.Epoch).ToArray();

        var train = plot.Add.Scatter(epochs, history.Select(r => r.TrainLoss).ToArray());
        train.LegendText = "training loss";
        train.MarkerSize = 0;
        train.LineWidth = 2;
        if (history.All(r => r.ValidationLoss is not null))
        {
            var validation = plot.Add.Scatter(epochs, history.Select(r => r.ValidationLoss!.Value).ToArray());
            validation.LegendText = "validation loss";
            validation.MarkerSize = 0;
            validation.LineWidth = 2;

            var metric = plot.Add.Scatter(epochs, history.Select(r => r.ValidationMetric!.Value * (metricName == "accuracy" ? 100 : 1)).ToArray());
            metric.LegendText = metricName == "accuracy" ? "validation accuracy (%)" : $"validation {metricName}";
            metric.MarkerSize = 0;
            metric.LineWidth = 2;
            metric.LinePattern = LinePattern.Dashed;
            metric.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = metricName == "accuracy" ? "accuracy (%)" : metricName;
        }
        plot.ShowLegend(Alignment.MiddleRight);
        return plot.GetImageBytes(900, 500, ImageFormat.Png);
    }

    /// <summary>Actual values, the model's forecasts and the naive last-value forecasts at <paramref name="xs"/> (years, steps), and the seasonal-naive ones when given.</summary>
    public static byte[] RenderForecast(string title, string unit, double[] xs, IReadOnlyList<double> actual, IReadOnlyList<double> predicted, IReadOnlyList<double> lastValue,
        IReadOnlyList<double>? seasonalNaive = null)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.Axes.Left.Label.Text = unit;
        // The x values are years: no thousands separators ("1950", not "1,950").
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => v.ToString("0", System.Globalization.CultureInfo.InvariantCulture),
        };
        var a = plot.Add.Scatter(xs, actual.ToArray());
        a.LegendText = "actual";
        a.LineWidth = 2;
        var p = plot.Add.Scatter(xs, predicted.ToArray());
        p.LegendText = "GRU forecast";
        p.LineWidth = 2;
        var n = plot.Add.Scatter(xs, lastValue.ToArray());
        n.LegendText = "last value (naive)";
        n.MarkerSize = 0;
        n.LinePattern = LinePattern.Dotted;
        if (seasonalNaive is not null)
        {
            var s = plot.Add.Scatter(xs, seasonalNaive.ToArray());
            s.LegendText = "one season before (seasonal naive)";
            s.MarkerSize = 0;
            s.LinePattern = LinePattern.Dashed;
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(900, 500, ImageFormat.Png);
    }
}
