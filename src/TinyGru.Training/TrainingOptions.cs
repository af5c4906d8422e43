using TinyGru.Model;

namespace TinyGru.Training;

/// <summary>Architecture and hyperparameters of a training run. Defaults follow PyTorch's.</summary>
public sealed record TrainingOptions
{
    /// <summary>Hidden size of each GRU layer, first to last.</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = new[] { 32 };

    /// <summary>Widths of the hidden dense layers between the last GRU layer and the head, first to last (none by default).</summary>
    public IReadOnlyList<int> DenseSizes { get; init; } = Array.Empty<int>();

    /// <summary>
    /// Activation of the hidden dense layers: one entry for all of them, or one per layer (none, relu, tanh or sigmoid).
    /// </summary>
    public IReadOnlyList<HeadActivation> DenseActivations { get; init; } = new[] { HeadActivation.Relu };

    /// <summary>
    /// Token input: the number of token ids V (ids 0 … V−1; each step of the data is one id), or null when each step is
    /// a vector of features.
    /// </summary>
    public int? VocabularySize { get; init; }

    /// <summary>Token input: the embedding size E (the first GRU layer's input size).</summary>
    public int EmbeddingSize { get; init; } = 16;

    /// <summary>The activation of every hidden dense layer, <see cref="DenseActivations"/> expanded.</summary>
    public IReadOnlyList<HeadActivation> DenseActivationPerLayer() =>
        DenseActivations.Count == 1 ? Enumerable.Repeat(DenseActivations[0], DenseSizes.Count).ToArray() : DenseActivations;

    /// <summary>Gate convention of every layer.</summary>
    public GateConvention Convention { get; init; } = GateConvention.ResetAfter;

    /// <summary>The objective.</summary>
    public LossKind Loss { get; init; } = LossKind.MeanSquaredError;

    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>Sequences per mini-batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Initial learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Adam or AdamW.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Weight decay (L2 for Adam, decoupled for AdamW).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Largest global gradient norm, or null for no clipping.</summary>
    public double? ClipNorm { get; init; }

    /// <summary>Learning-rate schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;

    /// <summary>Epochs between decays of the step schedule.</summary>
    public int StepSize { get; init; } = 10;

    /// <summary>Decay factor of the step schedule.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Seed of initialization and shuffling: the same seed gives the same model on the same machine.</summary>
    public int Seed { get; init; }

    /// <summary>Stop after this many epochs without a better validation loss (needs a validation set), or null.</summary>
    public int? Patience { get; init; }

    /// <summary>
    /// Quantization-aware training: the forward pass (training and validation) runs every weight matrix
    /// fake-quantized to int8, the backward pass is the straight-through estimator (<see cref="FakeQuantization"/>).
    /// The int8 input quantization is applied to the data (<see cref="InputFakeQuantizer"/>, <see cref="TrainingJob"/>).
    /// </summary>
    public bool QuantizationAware { get; init; }

    /// <summary>Throws <see cref="TrainingException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (HiddenSizes.Count == 0 || HiddenSizes.Any(h => h < 1 || h > ModelLimits.MaxHiddenSize))
            throw new TrainingException($"--hidden: every hidden size must be from 1 to {ModelLimits.MaxHiddenSize}");
        if (HiddenSizes.Count > ModelLimits.MaxLayers) throw new TrainingException($"--layers: at most {ModelLimits.MaxLayers} layers");
        if (Epochs < 1) throw new TrainingException("--epochs: must be at least 1");
        if (BatchSize < 1) throw new TrainingException("--batch: must be at least 1");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new TrainingException("--lr: must be a positive number");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new TrainingException("--weight-decay: must be 0 or more");
        if (ClipNorm is double c && !(c > 0)) throw new TrainingException("--clip-norm: must be a positive number");
        if (StepSize < 1) throw new TrainingException("--step-size: must be at least 1");
        if (!(Gamma > 0) || Gamma > 1) throw new TrainingException("--gamma: must be in (0, 1]");
        if (Patience is int p && p < 1) throw new TrainingException("--patience: must be at least 1");
        if (DenseSizes.Any(d => d < 1 || d > ModelLimits.MaxDenseWidth))
            throw new TrainingException($"--dense: every dense width must be from 1 to {ModelLimits.MaxDenseWidth}");
        if (DenseSizes.Count + 1 > ModelLimits.MaxDenseLayers)
            throw new TrainingException($"--dense: at most {ModelLimits.MaxDenseLayers - 1} hidden dense layers (the head is one more dense layer)");
        if (DenseActivations.Count != 1 && DenseActivations.Count != DenseSizes.Count)
            throw new TrainingException($"--dense-activation: give one activation, or one per --dense width ({DenseSizes.Count}); got {DenseActivations.Count}");
        if (DenseActivations.Contains(HeadActivation.Softmax))
            throw new TrainingException("--dense-activation: a hidden dense layer takes none, relu, tanh or sigmoid (the head's activation follows from the task)");
        if (VocabularySize is int v && (v < 1 || v > ModelLimits.MaxVocabularySize))
            throw new TrainingException($"--vocab: the number of token ids must be from 1 to {ModelLimits.MaxVocabularySize}");
        if (EmbeddingSize < 1 || EmbeddingSize > ModelLimits.MaxInputSize)
            throw new TrainingException($"--embedding: the embedding size must be from 1 to {ModelLimits.MaxInputSize}");
    }
}

/// <summary>What one epoch did.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="LearningRate">Rate used in this epoch.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's mini-batches.</param>
/// <param name="ValidationLoss">Mean validation loss after the epoch, or null without a validation set.</param>
/// <param name="ValidationMetric">Validation accuracy (classification) or RMSE in the data's units, or null.</param>
/// <param name="IsBest">True when this epoch has the lowest validation loss so far.</param>
/// <param name="Elapsed">Training time since the start.</param>
public sealed record EpochReport(int Epoch, int Epochs, double LearningRate, double TrainLoss, double? ValidationLoss, double? ValidationMetric, bool IsBest, TimeSpan Elapsed);

/// <summary>The outcome of <see cref="GruTrainer.Train"/>.</summary>
/// <param name="Parameters">Final weights: the best validation epoch's when there was a validation set.</param>
/// <param name="History">One report per epoch run.</param>
/// <param name="BestEpoch">1-based epoch whose weights were kept.</param>
/// <param name="StoppedEarly">True when patience ran out before the last epoch.</param>
/// <param name="Elapsed">Wall-clock training time.</param>
public sealed record TrainingResult(GruParameters Parameters, IReadOnlyList<EpochReport> History, int BestEpoch, bool StoppedEarly, TimeSpan Elapsed);

/// <summary>A user-facing training or data error: one line naming what is wrong and, where it helps, what to do.</summary>
public sealed class TrainingException(string message) : Exception(message);
