using System.Diagnostics;
using TinyGru.Model.Onnx;
using Xunit;

namespace TinyGru.Model.Tests;

/// <summary>Damaged files must only ever produce <see cref="ModelFormatException"/>: no crash, no hang, no other exception type.</summary>
public class OnnxFuzzTests
{
    private static readonly string[] Names = { "gru_tiny.onnx", "gru_small.onnx", "gru_stacked.onnx", "gru_reset_before.onnx", "unfolded.onnx" };

    /// <summary>The fixtures, and a graph whose weights go through constant folding (Slice, Concat, Unsqueeze, Gather ...).</summary>
    private static byte[] Original(string name)
    {
        if (name != "unfolded.onnx") return File.ReadAllBytes(Fixtures.Path(name));
        const int I = 3, H = 4, O = 2;
        return OnnxModelBuilder.UnfoldedTorchExport(I, H, O,
            OnnxModelBuilder.Values(3 * H * I, 1), OnnxModelBuilder.Values(3 * H * H, 2), OnnxModelBuilder.Values(3 * H, 3),
            OnnxModelBuilder.Values(3 * H, 4), OnnxModelBuilder.Values(O * H, 5), OnnxModelBuilder.Values(O, 6)).Build();
    }

    [Fact]
    public void EveryTruncationIsAModelFormatException()
    {
        foreach (var name in Names)
        {
            var bytes = Original(name);
            int step = Math.Max(1, bytes.Length / 500);
            for (int length = 0; length < bytes.Length; length += length < 64 || bytes.Length - length < 64 ? 1 : step)
            {
                var cut = bytes.Take(length).ToArray();
                var e = Record.Exception(() => OnnxImporter.Load(cut, name));
                var format = Assert.IsType<ModelFormatException>(e);
                Assert.StartsWith(name + ": ", format.Message);
            }
        }
    }

    [Fact]
    public void SeededMutationsOnlyEverThrowModelFormatException()
    {
        var originals = Names.Select(Original).ToArray();
        var random = new Random(20240611);
        var clock = Stopwatch.StartNew();
        int rejected = 0;
        const int Mutations = 4000;
        for (int i = 0; i < Mutations; i++)
        {
            // The 167 KB stacked fixture is picked less often to keep the test fast.
            int pick = random.Next(10) switch { < 3 => 0, < 5 => 1, 5 => 2, < 8 => 3, _ => 4 };
            var mutated = Mutate(originals[pick], random, out string how);
            try
            {
                OnnxImporter.Load(mutated, Names[pick]);
            }
            catch (ModelFormatException e)
            {
                Assert.StartsWith(Names[pick] + ": ", e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} of {Names[pick]} ({how}) threw {e.GetType().Name} instead of ModelFormatException: {e}");
            }
        }
        Assert.True(rejected > Mutations / 4, $"only {rejected} of {Mutations} mutations were rejected; the mutations are too gentle to test anything");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{Mutations} mutations took {clock.Elapsed}");
    }

    [Fact]
    public void RandomBytesAreAModelFormatException()
    {
        var random = new Random(7);
        for (int i = 0; i < 500; i++)
        {
            var bytes = new byte[random.Next(1, 2000)];
            random.NextBytes(bytes);
            Assert.IsType<ModelFormatException>(Record.Exception(() => OnnxImporter.Load(bytes, "random.onnx")));
        }
    }

    private static byte[] Mutate(byte[] original, Random random, out string how)
    {
        var bytes = (byte[])original.Clone();
        int at = random.Next(bytes.Length);
        switch (random.Next(6))
        {
            case 0:
                int flips = random.Next(1, 5);
                for (int f = 0; f < flips; f++) bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                how = $"{flips} random byte flips";
                return bytes;
            case 1:
                byte[] special = { 0x00, 0xFF, 0x80, 0x7F, 0x01 };
                byte value = special[random.Next(special.Length)];
                bytes[at] = value;
                how = $"byte {at} set to 0x{value:X2}";
                return bytes;
            case 2:
                // Flip bits near the start, where the lengths of the graph and its first messages are.
                int early = random.Next(Math.Min(64, bytes.Length));
                bytes[early] ^= (byte)(1 << random.Next(8));
                how = $"bit flip at byte {early}";
                return bytes;
            case 3:
                var inserted = new byte[random.Next(1, 9)];
                random.NextBytes(inserted);
                how = $"{inserted.Length} random bytes inserted at {at}";
                return bytes.Take(at).Concat(inserted).Concat(bytes.Skip(at)).ToArray();
            case 4:
                int count = random.Next(1, Math.Min(64, bytes.Length - at) + 1);
                how = $"{count} bytes deleted at {at}";
                return bytes.Take(at).Concat(bytes.Skip(at + count)).ToArray();
            default:
                // A large varint where a length or size may be: 0xFF… makes lengths and dims huge.
                int run = Math.Min(random.Next(1, 10), bytes.Length - at);
                for (int k = 0; k < run; k++) bytes[at + k] = 0xFF;
                how = $"{run} bytes of 0xFF at {at}";
                return bytes;
        }
    }
}
