using TinyGru;
using TinyGru.Model.Safetensors;

// Runs the generated model over the PyTorch fixture and fails unless it matches within 1e-5.
var expected = SafetensorsFile.Read(args[0]);
expected.TryGet("x", out var x);
expected.TryGet("y", out var y);
var ys = y.ToFloat32();
var outputs = new float[ys.Length];
new TinyModel().Run(x.ToFloat32(), outputs);
float error = ys.Zip(outputs, (a, b) => Math.Abs(a - b)).Max();
Console.WriteLine($"packaged generator: {TinyModel.InputSize} → {TinyModel.OutputSize}, max |Δy| = {error:G3}");
return error <= 1e-5f ? 0 : 1;

[TinyGruModel("models/gru_tiny.safetensors")]
internal partial struct TinyModel { }
