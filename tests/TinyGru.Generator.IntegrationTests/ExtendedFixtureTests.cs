using TinyGru.Tests;
using Xunit;

namespace TinyGru.Generator.IntegrationTests;

/// <summary>
/// Code generated at build time from issue 13's fixtures (MLP heads, token models, Keras 3 reset-after and a legacy
/// .h5 token model) matches PyTorch 1.13 / the Keras layout's PyTorch check within 1e-5 scaled, on every path.
/// </summary>
public class ExtendedFixtureTests
{
    private delegate void FeatureStep<T>(ref T model, float[] x, float[] y);
    private delegate void TokenStep<T>(ref T model, int token, float[] y);

    private static void AssertFeatureModel<T>(string fixture, int inputSize, int outputSize, params (string Path, FeatureStep<T> Step)[] paths) where T : struct
    {
        var expected = ReferenceFixture.Load(fixture);
        Assert.Equal(expected.InputSize, inputSize);
        Assert.Equal(expected.OutputSize, outputSize);
        foreach (var (path, step) in paths)
        {
            var model = default(T);
            var y = new float[expected.Y.Length];
            var yt = new float[outputSize];
            for (int t = 0; t < expected.Steps; t++)
            {
                step(ref model, expected.X.AsSpan(t * inputSize, inputSize).ToArray(), yt);
                yt.CopyTo(y, t * outputSize);
            }
            double error = ReferenceFixture.MaxScaledError(expected.Y, y);
            Assert.True(error <= 1e-5, $"{fixture} path {path}: max scaled |Δy| = {error:G3}");
        }
    }

    private static void AssertTokenModel<T>(string fixture, int outputSize, params (string Path, TokenStep<T> Step)[] paths) where T : struct
    {
        var expected = ReferenceFixture.Load(fixture);
        Assert.Equal(1, expected.InputSize); // x holds the token ids as floats
        foreach (var (path, step) in paths)
        {
            var model = default(T);
            var y = new float[expected.Y.Length];
            var yt = new float[outputSize];
            for (int t = 0; t < expected.Steps; t++)
            {
                float id = expected.X[t];
                Assert.Equal(Math.Round(id), id);
                step(ref model, (int)id, yt);
                yt.CopyTo(y, t * outputSize);
            }
            double error = ReferenceFixture.MaxScaledError(expected.Y, y);
            Assert.True(error <= 1e-5, $"{fixture} path {path}: max scaled |Δy| = {error:G3}");
        }
    }

    [Fact]
    public void MlpHeadFromOnnxMatchesPyTorch() => AssertFeatureModel<GruMlpHead>("gru_mlp_head", GruMlpHead.InputSize, GruMlpHead.OutputSize,
        ("Step", (ref GruMlpHead m, float[] x, float[] y) => m.Step(x, y)),
        ("512", (ref GruMlpHead m, float[] x, float[] y) => m.Step512(x, y)),
        ("256", (ref GruMlpHead m, float[] x, float[] y) => m.Step256(x, y)),
        ("128", (ref GruMlpHead m, float[] x, float[] y) => m.Step128(x, y)),
        ("scalar", (ref GruMlpHead m, float[] x, float[] y) => m.StepScalar(x, y)));

    [Fact]
    public void MlpSoftmaxFromOnnxMatchesPyTorch() => AssertFeatureModel<GruMlpSoftmax>("gru_mlp_softmax", GruMlpSoftmax.InputSize, GruMlpSoftmax.OutputSize,
        ("Step", (ref GruMlpSoftmax m, float[] x, float[] y) => m.Step(x, y)),
        ("512", (ref GruMlpSoftmax m, float[] x, float[] y) => m.Step512(x, y)),
        ("256", (ref GruMlpSoftmax m, float[] x, float[] y) => m.Step256(x, y)),
        ("128", (ref GruMlpSoftmax m, float[] x, float[] y) => m.Step128(x, y)),
        ("scalar", (ref GruMlpSoftmax m, float[] x, float[] y) => m.StepScalar(x, y)));

    [Fact]
    public void KerasResetAfterConvertedMatchesTheReference() => AssertFeatureModel<KerasResetAfter>("keras_reset_after", KerasResetAfter.InputSize, KerasResetAfter.OutputSize,
        ("Step", (ref KerasResetAfter m, float[] x, float[] y) => m.Step(x, y)),
        ("512", (ref KerasResetAfter m, float[] x, float[] y) => m.Step512(x, y)),
        ("256", (ref KerasResetAfter m, float[] x, float[] y) => m.Step256(x, y)),
        ("128", (ref KerasResetAfter m, float[] x, float[] y) => m.Step128(x, y)),
        ("scalar", (ref KerasResetAfter m, float[] x, float[] y) => m.StepScalar(x, y)));

    [Fact]
    public void EmbeddingFromOnnxMatchesPyTorch() => AssertTokenModel<GruEmbedding>("gru_embedding", GruEmbedding.OutputSize,
        ("Step", (ref GruEmbedding m, int t, float[] y) => m.Step(t, y)),
        ("512", (ref GruEmbedding m, int t, float[] y) => m.Step512(t, y)),
        ("256", (ref GruEmbedding m, int t, float[] y) => m.Step256(t, y)),
        ("128", (ref GruEmbedding m, int t, float[] y) => m.Step128(t, y)),
        ("scalar", (ref GruEmbedding m, int t, float[] y) => m.StepScalar(t, y)));

    [Fact]
    public void LegacyH5EmbeddingConvertedMatchesTheReference() => AssertTokenModel<KerasEmbeddingLegacy>("keras_embedding_legacy", KerasEmbeddingLegacy.OutputSize,
        ("Step", (ref KerasEmbeddingLegacy m, int t, float[] y) => m.Step(t, y)),
        ("512", (ref KerasEmbeddingLegacy m, int t, float[] y) => m.Step512(t, y)),
        ("256", (ref KerasEmbeddingLegacy m, int t, float[] y) => m.Step256(t, y)),
        ("128", (ref KerasEmbeddingLegacy m, int t, float[] y) => m.Step128(t, y)),
        ("scalar", (ref KerasEmbeddingLegacy m, int t, float[] y) => m.StepScalar(t, y)));

    [Fact]
    public void TokenIdsOutsideTheVocabularyThrowNamingIdAndSize()
    {
        var model = new GruEmbedding();
        var y = new float[GruEmbedding.OutputSize];
        foreach (int id in new[] { -1, GruEmbedding.VocabularySize })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Step(id, y));
            Assert.Contains(id.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
            Assert.Contains(GruEmbedding.VocabularySize.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        }
    }

    [Fact]
    public void TokenStepAllocatesNothing()
    {
        var model = new KerasEmbeddingLegacy();
        var y = new float[KerasEmbeddingLegacy.OutputSize];
        for (int t = 0; t < 10; t++) model.Step(t % KerasEmbeddingLegacy.VocabularySize, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 1000; t++) model.Step(t % KerasEmbeddingLegacy.VocabularySize, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
