using TinyGru.Model;
using TinyGru.Model.Quantization;

namespace TinyGru.Training;

/// <summary>
/// Quantization-aware training (docs/qat.md): the forward pass runs with every weight matrix — W and U of each layer,
/// every dense layer's W and the embedding table (one scale per token row) — replaced by its int8 value, so the loss is the loss of the model that int8 deployment runs.
/// The values come from <see cref="QuantizedMatrix.Quantize"/> and <see cref="QuantizedMatrix.Dequantize"/> themselves
/// (the function <see cref="ModelQuantizer"/> uses), so there is one rounding rule. Biases stay float32, as in the int8
/// model. The backward pass is the straight-through estimator: the gradient with respect to the quantized weights is
/// applied to the float weights unchanged (per-row symmetric scales cover the whole row, so no weight is ever clipped).
/// </summary>
public static class FakeQuantization
{
    /// <summary>
    /// Writes <paramref name="source"/> into <paramref name="target"/> (both flat vectors of <paramref name="shape"/>)
    /// with every weight matrix fake-quantized per row and the biases copied.
    /// </summary>
    public static void Apply(GruNetworkShape shape, float[] source, float[] target)
    {
        if (source.Length != shape.ParameterCount || target.Length != shape.ParameterCount)
            throw new ArgumentException($"expected {shape.ParameterCount} parameters");
        if (!ReferenceEquals(source, target)) source.AsSpan().CopyTo(target);
        for (int k = 0; k < shape.LayerCount; k++)
        {
            int rows = 3 * shape.HiddenSize(k);
            Matrix(shape.InputWeights(k), rows, shape.LayerInputSize(k), source, target);
            Matrix(shape.RecurrentWeights(k), rows, shape.HiddenSize(k), source, target);
        }
        for (int d = 0; d < shape.DenseCount; d++)
            Matrix(shape.DenseWeight(d), shape.DenseOutputSize(d), shape.DenseInputSize(d), source, target);
        if (shape.VocabularySize is int vocabulary)
            Matrix(shape.Embedding, vocabulary, shape.InputSize, source, target);   // one scale per token row, as ModelQuantizer
    }

    /// <summary>A copy of <paramref name="parameters"/> with its weights fake-quantized.</summary>
    public static GruParameters Apply(GruParameters parameters)
    {
        var result = new float[parameters.Values.Length];
        Apply(parameters.Shape, parameters.Values, result);
        return new GruParameters(parameters.Shape, result);
    }

    private static void Matrix(TensorSlice slice, int rows, int cols, float[] source, float[] target) =>
        QuantizedMatrix.Quantize(slice.Of(source).ToArray(), rows, cols).Dequantize().CopyTo(slice.Of(target));
}

/// <summary>
/// The int8 input quantization of the integer-only scheme, applied to the training data: each raw input value becomes
/// the real value its int8 code stands for, (q − zero point) · scale, computed with the very numbers and operations
/// <see cref="FixedPointGruModel"/> and the int8 engine use ((x − mean) · 1/(std · scale), rounded, clamped). The scale
/// and zero point come from the range of the normalized training inputs (<see cref="CalibrationRange"/>), which is the
/// calibration the trained model is then quantized with. The inputs are data, so no gradient flows through this.
/// </summary>
public sealed class InputFakeQuantizer
{
    private readonly float[] _mean;
    private readonly float[] _multiplier;

    private InputFakeQuantizer(CalibrationRange range, InputQuantization quantization, float[] mean, float[] multiplier)
    {
        Range = range;
        Quantization = quantization;
        _mean = mean;
        _multiplier = multiplier;
    }

    /// <summary>The normalized input range seen in the calibration rows.</summary>
    public CalibrationRange Range { get; }

    /// <summary>The int8 scale and zero point.</summary>
    public InputQuantization Quantization { get; }

    /// <summary>
    /// Calibrates on <paramref name="rawRows"/> (each [I], the user's units) under <paramref name="normalization"/>
    /// (null: none), exactly as <see cref="CalibrationRange.Observe"/> does for a model with that normalization.
    /// </summary>
    public static InputFakeQuantizer Calibrate(InputNormalization? normalization, int inputSize, IEnumerable<float[]> rawRows, double headroom = 0)
    {
        // The smallest model with this normalization: calibration and the integer form only read its input side.
        var probe = new GruModel(GateConvention.ResetAfter,
            new[] { new GruLayerSpec(inputSize, 1, new float[3 * inputSize], new float[3], new float[3], new float[3]) },
            inputNormalization: normalization);
        var range = CalibrationRange.Observe(probe, rawRows).WithHeadroom(headroom);
        var quantized = ModelQuantizer.Quantize(probe, ModelPrecision.Int8, range);
        var fixedPoint = FixedPointGruModel.Create(quantized);
        return new InputFakeQuantizer(range, quantized.Quantization!.Input!, fixedPoint.InputMean, fixedPoint.InputMultiplier);
    }

    /// <summary>Raw value <paramref name="raw"/> of feature <paramref name="feature"/> → the normalized value its int8 code stands for.</summary>
    public float Apply(float raw, int feature)
    {
        int q = FixedPoint.QuantizeInput((raw - _mean[feature]) * _multiplier[feature], Quantization.ZeroPoint);
        return (q - Quantization.ZeroPoint) * Quantization.Scale;
    }
}

/// <summary>The defaults of quantization-aware fine-tuning (<c>tinygru finetune</c>, docs/qat.md).</summary>
public static class QuantizationAwareTraining
{
    /// <summary>Epochs of fine-tuning: a fraction of a training run, enough for the weights to settle on the int8 grid.</summary>
    public const int FineTuneEpochs = 10;

    /// <summary>Learning rate of fine-tuning: a tenth of training's default, so the float model is adjusted, not retrained.</summary>
    public const double FineTuneLearningRate = 0.001;

    /// <summary><paramref name="training"/>'s settings with the fine-tuning epochs and learning rate, a constant rate and no early stop.</summary>
    public static TrainingOptions FineTuneOptions(TrainingOptions training) => training with
    {
        Epochs = FineTuneEpochs,
        LearningRate = FineTuneLearningRate,
        Schedule = ScheduleKind.Constant,
        Patience = null,
        QuantizationAware = true,
    };
}
