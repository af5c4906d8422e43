using System.Globalization;
using AotAnomalyDetector;

// Reads IMU frames as CSV rows from stdin (a header row is skipped) and prints, per frame, the distance between the
// frame and the model's forecast of it from the previous frames. A distance above --threshold marks an anomaly.
// Nothing is allocated per frame: the model, its state and the buffers live on the stack.
float threshold = args.Length == 2 && args[0] == "--threshold" ? float.Parse(args[1], CultureInfo.InvariantCulture) : 1.0f;
var model = default(ImuForecaster);
Span<float> frame = stackalloc float[ImuForecaster.InputSize];
Span<float> forecast = stackalloc float[ImuForecaster.OutputSize];
bool haveForecast = false;
int line = 0, frames = 0, anomalies = 0;
Console.WriteLine("step,distance,anomaly");
while (Console.ReadLine() is { } text)
{
    line++;
    if (text.Length == 0) continue;
    if (!TryParse(text, frame))
    {
        if (line == 1) continue; // header
        Console.Error.WriteLine($"imu-anomaly: error: stdin line {line}: expected {ImuForecaster.InputSize} numbers separated by commas");
        return 1;
    }
    if (haveForecast)
    {
        float sum = 0;
        for (int i = 0; i < frame.Length; i++) sum += (frame[i] - forecast[i]) * (frame[i] - forecast[i]);
        float distance = MathF.Sqrt(sum);
        bool anomaly = distance > threshold;
        anomalies += anomaly ? 1 : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{frames},{distance:R},{(anomaly ? 1 : 0)}"));
    }
    model.Step(frame, forecast);
    haveForecast = true;
    frames++;
}
Console.Error.WriteLine($"imu-anomaly: {anomalies} anomalies");
return 0;

static bool TryParse(string text, Span<float> values)
{
    var rest = text.AsSpan();
    for (int i = 0; i < values.Length; i++)
    {
        int comma = rest.IndexOf(',');
        var cell = comma < 0 ? rest : rest[..comma];
        if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])) return false;
        rest = comma < 0 ? ReadOnlySpan<char>.Empty : rest[(comma + 1)..];
        if (comma < 0 && i < values.Length - 1) return false;
    }
    return rest.IsEmpty;
}
