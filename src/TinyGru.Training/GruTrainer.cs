using System.Diagnostics;

namespace TinyGru.Training;

/// <summary>Loss and metric of a network on a set of sequences.</summary>
/// <param name="Loss">Mean loss (the training objective).</param>
/// <param name="Metric">Accuracy in [0, 1] for the cross-entropies; RMSE (times the output scale, if given) for MSE.</param>
public readonly record struct SetScore(double Loss, double Metric);

/// <summary>
/// Mini-batch training of a GRU network by backpropagation through time. Each mini-batch is split into a fixed
/// number of shards run in parallel, each with its own buffers and gradient; gradients are summed in shard order,
/// so a seed gives the same model on every run.
/// </summary>
public static class GruTrainer
{
    /// <summary>Shards per mini-batch (and threads, up to the core count).</summary>
    internal const int ShardCount = 2;

    /// <summary>
    /// Trains a new network on <paramref name="train"/>. With a <paramref name="validation"/> set, reports its loss
    /// and metric each epoch, stops after <see cref="TrainingOptions.Patience"/> epochs without improvement, and
    /// returns the best epoch's weights. <paramref name="outputScale"/> [O] converts RMSE to the data's units.
    /// Throws <see cref="TrainingException"/> when the loss stops being finite and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellation"/> fires. With
    /// <paramref name="initial"/>, training starts from those weights (fine-tuning; they are not changed) instead of
    /// a fresh initialization; its shape must be the one <paramref name="options"/> and the data describe.
    /// </summary>
    public static TrainingResult Train(SequenceSet train, SequenceSet? validation, TrainingOptions options,
        IReadOnlyList<float>? outputScale = null, Action<EpochReport>? onEpoch = null, CancellationToken cancellation = default,
        GruParameters? initial = null)
    {
        options.Validate();
        if (train.Count == 0) throw new TrainingException("the training set is empty");
        if (options.Patience is not null && (validation is null || validation.Count == 0))
            throw new TrainingException("--patience needs a validation set (--validation-fraction)");
        var shape = ShapeFor(train, options);
        var random = new Random(options.Seed);
        if (initial is not null && !initial.Shape.SameAs(shape))
            throw new TrainingException($"the model to fine-tune ({initial.Shape}) does not match the data and settings ({shape})");
        var parameters = initial?.Clone() ?? GruParameters.Initialize(shape, random);
        using var run = new TrainingRun(shape, train, options, outputScale);
        return run.Fit(parameters, validation is { Count: > 0 } ? validation : null, random, onEpoch, cancellation);
    }

    /// <summary>
    /// Mean loss and metric of <paramref name="parameters"/> on <paramref name="set"/>; with
    /// <paramref name="quantizationAware"/>, of its fake-quantized weights (<see cref="FakeQuantization"/>).
    /// </summary>
    public static SetScore Score(GruParameters parameters, SequenceSet set, LossKind loss, IReadOnlyList<float>? outputScale = null, bool quantizationAware = false)
    {
        var values = Forward(parameters, quantizationAware);
        using var run = new TrainingRun(parameters.Shape, set, new TrainingOptions { Loss = loss }, outputScale);
        var transposed = TransposedWeights.Create(parameters.Shape);
        TransposedWeights.Refresh(parameters.Shape, values, transposed);
        return run.Score(values, transposed, set);
    }

    /// <summary>
    /// Mean loss and ∂loss/∂parameters for one batch of sequences: the gradient the trainer follows. With
    /// <paramref name="quantizationAware"/>, the forward pass runs the fake-quantized weights and the gradient is the
    /// straight-through estimate: ∂loss/∂(quantized weights), to be applied to the float weights.
    /// </summary>
    public static (double Loss, float[] Gradient) LossGradient(GruParameters parameters, SequenceSet batch, LossKind loss, bool quantizationAware = false)
    {
        var values = Forward(parameters, quantizationAware);
        var pass = new GruBatchPass(parameters.Shape, batch.Steps, batch.Timing, loss, batch.Count);
        var transposed = TransposedWeights.Create(parameters.Shape);
        TransposedWeights.Refresh(parameters.Shape, values, transposed);
        pass.Load(batch, Enumerable.Range(0, batch.Count).ToArray());
        pass.Forward(values, transposed);
        int terms = LossFunction.TermCount(loss, batch.Count * batch.TargetsPerSequence, batch.OutputSize);
        double sum = pass.Loss(1f / terms);
        pass.Backward(values);
        return (sum / terms, pass.Gradient);
    }

    /// <summary>
    /// Raw head outputs (logits for the cross-entropies) [N, T?, O] of <paramref name="set"/>, in the network's units;
    /// with <paramref name="quantizationAware"/>, of the fake-quantized weights.
    /// </summary>
    public static float[] Predict(GruParameters parameters, SequenceSet set, bool quantizationAware = false)
    {
        var shape = parameters.Shape;
        var values = Forward(parameters, quantizationAware);
        var transposed = TransposedWeights.Create(shape);
        TransposedWeights.Refresh(shape, values, transposed);
        int capacity = Math.Max(1, Math.Min(set.Count, 256)), per = set.TargetsPerSequence, o = shape.OutputSize;
        var pass = new GruBatchPass(shape, set.Steps, set.Timing, LossKind.MeanSquaredError, capacity);
        var result = new float[set.Count * per * o];
        for (int start = 0; start < set.Count; start += capacity)
        {
            int b = Math.Min(capacity, set.Count - start);
            pass.LoadRange(set, start, b);
            pass.Forward(values, transposed);
            var y = pass.Outputs;
            for (int t = 0; t < per; t++)
                for (int m = 0; m < b; m++)
                    y.Slice((t * b + m) * o, o).CopyTo(result.AsSpan(((start + m) * per + t) * o, o));
        }
        return result;
    }

    /// <summary>The weights the forward pass runs with.</summary>
    private static float[] Forward(GruParameters parameters, bool quantizationAware) =>
        quantizationAware ? FakeQuantization.Apply(parameters).Values : parameters.Values;

    /// <summary>The network <paramref name="options"/> describe for the data of <paramref name="train"/>.</summary>
    public static GruNetworkShape ShapeFor(SequenceSet train, TrainingOptions options)
    {
        if (options.VocabularySize is not null && train.InputSize != 1)
            throw new TrainingException($"--vocab: a token model reads one token id per step; the data has {train.InputSize} values per step");
        return new GruNetworkShape(options.Convention, options.VocabularySize is null ? train.InputSize : options.EmbeddingSize, options.HiddenSizes, train.OutputSize,
            options.DenseSizes, options.DenseActivationPerLayer(), options.VocabularySize);
    }

    /// <summary>One training run: its shard buffers, worker threads and optimizer state.</summary>
    private sealed class TrainingRun : IDisposable
    {
        private readonly GruNetworkShape _shape;
        private readonly SequenceSet _train;
        private readonly TrainingOptions _options;
        private readonly IReadOnlyList<float>? _outputScale;
        private readonly GruBatchPass[] _passes;
        private readonly double[] _shardLoss;
        private readonly double[] _shardMetric;
        private readonly ShardWorkers _workers;
        private readonly Action<int> _trainShard;
        private readonly Action<int> _scoreShard;
        private int[] _batch = Array.Empty<int>();
        private int _batchStart, _batchCount;
        private float _lossScale;
        private SequenceSet _scored;
        private float[] _parameters = Array.Empty<float>();  // the float weights the optimizer updates
        private float[] _forward = Array.Empty<float>();     // what the passes run: _parameters, or its fake-quantized copy (QAT)
        private float[] _transposed = Array.Empty<float>();  // transposed weights of _forward

        public TrainingRun(GruNetworkShape shape, SequenceSet train, TrainingOptions options, IReadOnlyList<float>? outputScale)
        {
            _shape = shape;
            _train = train;
            _scored = train;
            _options = options;
            _outputScale = outputScale;
            int capacity = (Math.Min(options.BatchSize, Math.Max(1, train.Count)) + ShardCount - 1) / ShardCount;
            _passes = Enumerable.Range(0, ShardCount).Select(_ => new GruBatchPass(shape, train.Steps, train.Timing, options.Loss, capacity)).ToArray();
            _shardLoss = new double[ShardCount];
            _shardMetric = new double[ShardCount];
            _workers = new ShardWorkers(ShardCount);
            _trainShard = TrainShard;
            _scoreShard = ScoreShard;
        }

        public TrainingResult Fit(GruParameters parameters, SequenceSet? validation, Random random, Action<EpochReport>? onEpoch, CancellationToken cancellation)
        {
            var clock = Stopwatch.StartNew();
            var o = _options;
            int n = _train.Count, parameterCount = _shape.ParameterCount;
            _parameters = parameters.Values;
            _forward = o.QuantizationAware ? new float[parameterCount] : _parameters;
            _transposed = TransposedWeights.Create(_shape);
            RefreshForward();
            var gradient = new float[parameterCount];
            var best = validation is null ? null : new float[parameterCount];
            var optimizer = new AdamOptimizer(o.Optimizer, (float)o.WeightDecay, parameterCount);
            var order = Enumerable.Range(0, n).ToArray();
            _batch = order;
            var history = new List<EpochReport>();
            double bestLoss = double.PositiveInfinity;
            int bestEpoch = o.Epochs, sinceBest = 0;
            bool stoppedEarly = false;
            int termsPerEpoch = LossFunction.TermCount(o.Loss, n * _train.TargetsPerSequence, _train.OutputSize);

            for (int epoch = 0; epoch < o.Epochs; epoch++)
            {
                double lr = LearningRateSchedule.At(o.Schedule, o.LearningRate, epoch, o.Epochs, o.StepSize, o.Gamma);
                random.Shuffle(order);
                double epochLoss = 0;
                for (int start = 0; start < n; start += o.BatchSize)
                {
                    cancellation.ThrowIfCancellationRequested();
                    _batchStart = start;
                    _batchCount = Math.Min(o.BatchSize, n - start);
                    _lossScale = 1f / LossFunction.TermCount(o.Loss, _batchCount * _train.TargetsPerSequence, _train.OutputSize);
                    _workers.Run(_trainShard);

                    double batchLoss = 0;
                    Array.Clear(gradient);
                    for (int s = 0; s < ShardCount; s++)
                    {
                        batchLoss += _shardLoss[s];
                        MatrixKernels.Add(_passes[s].Gradient, gradient);
                    }
                    if (!double.IsFinite(batchLoss)) throw Diverged(epoch + 1);
                    epochLoss += batchLoss;
                    if (o.ClipNorm is double maxNorm)
                    {
                        double norm = Math.Sqrt(MatrixKernels.SumOfSquares(gradient));
                        if (norm > maxNorm)
                        {
                            float factor = (float)(maxNorm / (norm + 1e-6));          // PyTorch clip_grad_norm_
                            for (int i = 0; i < gradient.Length; i++) gradient[i] *= factor;
                        }
                    }
                    optimizer.Step(_parameters, gradient, lr);        // QAT: the straight-through estimator
                    RefreshForward();
                }

                double trainLoss = epochLoss / termsPerEpoch;
                if (!double.IsFinite(trainLoss) || !_parameters.All(float.IsFinite)) throw Diverged(epoch + 1);
                double? validationLoss = null, validationMetric = null;
                bool isBest = false;
                if (validation is not null)
                {
                    var score = Score(_forward, _transposed, validation);
                    if (!double.IsFinite(score.Loss)) throw Diverged(epoch + 1);
                    validationLoss = score.Loss;
                    validationMetric = score.Metric;
                    isBest = score.Loss < bestLoss;
                    if (isBest)
                    {
                        bestLoss = score.Loss;
                        bestEpoch = epoch + 1;
                        sinceBest = 0;
                        _parameters.CopyTo(best!, 0);
                    }
                    else sinceBest++;
                }
                var report = new EpochReport(epoch + 1, o.Epochs, lr, trainLoss, validationLoss, validationMetric, isBest, clock.Elapsed);
                history.Add(report);
                onEpoch?.Invoke(report);
                if (o.Patience is int patience && sinceBest >= patience && epoch + 1 < o.Epochs)
                {
                    stoppedEarly = true;
                    break;
                }
            }
            if (best is not null) best.CopyTo(_parameters, 0);
            else bestEpoch = history.Count;
            return new TrainingResult(parameters, history, bestEpoch, stoppedEarly, clock.Elapsed);
        }

        /// <summary>The forward weights and their transposes from the float weights, after every update.</summary>
        private void RefreshForward()
        {
            if (!ReferenceEquals(_forward, _parameters)) FakeQuantization.Apply(_shape, _parameters, _forward);
            TransposedWeights.Refresh(_shape, _forward, _transposed);
        }

        public SetScore Score(float[] forward, float[] transposed, SequenceSet set)
        {
            _forward = forward;
            _transposed = transposed;
            _scored = set;
            if (!ReferenceEquals(set, _train) && (set.Steps != _train.Steps || set.Timing != _train.Timing))
                throw new ArgumentException("the set's steps and target timing must match the training set's");
            double loss = 0, metric = 0;
            int capacity = _passes[0].Capacity * ShardCount;
            for (int start = 0; start < set.Count; start += capacity)
            {
                _batchStart = start;
                _batchCount = Math.Min(capacity, set.Count - start);
                _workers.Run(_scoreShard);
                for (int s = 0; s < ShardCount; s++)
                {
                    loss += _shardLoss[s];
                    metric += _shardMetric[s];
                }
            }
            int targets = set.Count * set.TargetsPerSequence;
            loss /= LossFunction.TermCount(_options.Loss, targets, set.OutputSize);
            metric = _options.Loss == LossKind.MeanSquaredError
                ? Math.Sqrt(metric / ((double)targets * set.OutputSize))
                : metric / (_options.Loss == LossKind.SoftmaxCrossEntropy ? targets : (double)targets * set.OutputSize);
            return new SetScore(loss, metric);
        }

        private (int Start, int Count) ShardRows(int shard)
        {
            int from = _batchCount * shard / ShardCount, to = _batchCount * (shard + 1) / ShardCount;
            return (_batchStart + from, to - from);
        }

        private void TrainShard(int shard)
        {
            var pass = _passes[shard];
            Array.Clear(pass.Gradient);
            var (start, count) = ShardRows(shard);
            _shardLoss[shard] = 0;
            if (count == 0) return;
            pass.Load(_train, _batch.AsSpan(start, count));
            pass.Forward(_forward, _transposed);
            _shardLoss[shard] = pass.Loss(_lossScale);
            pass.Backward(_forward);
        }

        private void ScoreShard(int shard)
        {
            var pass = _passes[shard];
            var (start, count) = ShardRows(shard);
            _shardLoss[shard] = 0;
            _shardMetric[shard] = 0;
            if (count == 0) return;
            pass.LoadRange(_scored, start, count);
            pass.Forward(_forward, _transposed);
            _shardLoss[shard] = pass.Loss(1f);
            _shardMetric[shard] = MetricSum(pass);
        }

        /// <summary>Correct predictions (cross-entropies) or the sum of squared errors in the data's units (MSE).</summary>
        private double MetricSum(GruBatchPass pass)
        {
            var y = pass.Outputs;
            int o = _shape.OutputSize, rows = pass.OutputRows;
            double sum = 0;
            switch (_options.Loss)
            {
                case LossKind.SoftmaxCrossEntropy:
                    var labels = pass.Labels;
                    for (int m = 0; m < rows; m++)
                        if (ArgMax(y.Slice(m * o, o)) == labels[m]) sum++;
                    break;
                case LossKind.SigmoidBinaryCrossEntropy:
                    var t = pass.Targets;
                    for (int i = 0; i < rows * o; i++)
                        if ((y[i] > 0) == (t[i] > 0.5f)) sum++;   // logit > 0 ⇔ probability > 0.5
                    break;
                default:
                    var targets = pass.Targets;
                    for (int i = 0; i < rows * o; i++)
                    {
                        double e = (y[i] - targets[i]) * (_outputScale?[i % o] ?? 1f);
                        sum += e * e;
                    }
                    break;
            }
            return sum;
        }

        private static TrainingException Diverged(int epoch) =>
            new($"training diverged in epoch {epoch}: the loss is no longer a finite number; try a lower learning rate (--lr) or gradient clipping (--clip-norm 1).");

        public void Dispose() => _workers.Dispose();
    }

    /// <summary>Index of the largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
