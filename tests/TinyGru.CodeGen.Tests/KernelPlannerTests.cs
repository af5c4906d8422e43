using TinyGru.Model;
using TinyGru.Model.Quantization;
using TinyGru.Tests;
using Xunit;

namespace TinyGru.CodeGen.Tests;

/// <summary>The planner's decisions, asserted on plans (no code is run): register files, budgets, residency.</summary>
public class KernelPlannerTests
{
    /// <summary>The four peer cases of the benchmarks (I/H/layers/O), float and int8-weights, both conventions.</summary>
    public static TheoryData<string, int, int, int, int, bool, GateConvention> Cases()
    {
        var data = new TheoryData<string, int, int, int, int, bool, GateConvention>();
        foreach (var (name, i, h, l, o) in new[] { ("tiny", 3, 8, 1, 4), ("small", 6, 32, 1, 6), ("medium", 16, 64, 2, 10), ("large", 40, 128, 1, 12), ("wide", 8, 256, 1, 4) })
            foreach (bool int8 in new[] { false, true })
                foreach (var c in new[] { GateConvention.ResetAfter, GateConvention.ResetBefore })
                    data.Add(name, i, h, l, o, int8, c);
        return data;
    }

    private static NetModelPlan Model(int inputs, int hidden, int layers, int outputs, bool int8, GateConvention convention)
    {
        var model = RandomModels.Create(new Random(hidden), convention, inputs, Enumerable.Repeat(hidden, layers).ToArray(), outputs, HeadActivation.None);
        return NetModelPlan.Create(int8 ? ModelQuantizer.Quantize(model, ModelPrecision.Int8Weights) : model);
    }

    private static IEnumerable<PathPlan> EveryPath(NetModelPlan plan) =>
        new[] { 16, 8, 4, 1 }.Where(width => width == 1 || plan.WidestGranule >= width).Select(width => KernelPlanner.Plan(plan, width));

    [Theory]
    [MemberData(nameof(Cases))]
    public void LiveVectorsFitEveryProfileThatRunsThePath(string name, int inputs, int hidden, int layers, int outputs, bool int8, GateConvention convention)
    {
        _ = name;
        foreach (var path in EveryPath(Model(inputs, hidden, layers, outputs, int8, convention)))
        {
            int smallestFile = path.Profiles.Min(p => p.VectorRegisters);
            foreach (var layer in path.Layers)
            {
                if (layer.RegisterResident) Assert.InRange(layer.LiveVectors, 1, smallestFile);
                else
                    foreach (var pass in new[] { layer.Input!, layer.RecurrentRz!, layer.RecurrentN! })
                        Assert.InRange(pass.LiveVectors, 1, smallestFile);
            }
            if (path.Head is { } head) Assert.InRange(head.LiveVectors, 1, smallestFile);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NoMethodIsOverBudgetOnAnyProfile(string name, int inputs, int hidden, int layers, int outputs, bool int8, GateConvention convention)
    {
        foreach (var path in EveryPath(Model(inputs, hidden, layers, outputs, int8, convention)))
            foreach (var (method, statements) in path.Methods)
                Assert.True(statements <= path.MethodBudget, $"{name} {method} on the {path.Width}-float path: {statements} statements > {path.MethodBudget}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NoScratchLayerHasMoreBasicBlocksThanTheJitOptimizes(string name, int inputs, int hidden, int layers, int outputs, bool int8, GateConvention convention)
    {
        foreach (var path in EveryPath(Model(inputs, hidden, layers, outputs, int8, convention)))
            foreach (var layer in path.Layers.Where(l => !l.RegisterResident))
            {
                int blocks = layer.Input!.BasicBlocks + layer.RecurrentRz!.BasicBlocks + layer.RecurrentN!.BasicBlocks;
                Assert.True(blocks <= KernelPlanner.MaxBasicBlocks, $"{name} on the {path.Width}-float path: {blocks} blocks");
            }
    }

    [Fact]
    public void Int8WeightsH32On128BitsLoopsOverColumnsToStayOutOfMinOpts()
    {
        // Unrolled, its 144 W multiply-adds with int8 loads were ≈ 900 IL blocks beside U's: the JIT chose MinOpts.
        var path = KernelPlanner.Plan(Model(6, 32, 1, 6, true, GateConvention.ResetAfter), 4);
        Assert.False(path.Layers[0].Input!.UnrolledColumns);
        Assert.True(KernelPlanner.Plan(Model(6, 32, 1, 6, false, GateConvention.ResetAfter), 4).Layers[0].Input!.UnrolledColumns);
    }

    [Fact]
    public void IntegerOnlyInt8PassesUnrollOnlyWithinTheJitsLimits()
    {
        // medium's layer-0 W (192 rows, 8 column pairs): 48 accumulators of 4 rows at 128 bits are 384 multiply-adds,
        // 768 statements and ≈ 1,536 IL blocks written out — past the budget; 12 of 16 rows at 512 bits are 96.
        Assert.False(KernelPlanner.Int8PassUnrolled(8, 48 * 8, 4));
        Assert.True(KernelPlanner.Int8PassUnrolled(8, 24 * 8, 8));
        Assert.True(KernelPlanner.Int8PassUnrolled(8, 12 * 8, 16));
        // Past 8 column pairs, a loop whatever the size.
        Assert.False(KernelPlanner.Int8PassUnrolled(9, 9, 16));
        // The block estimate alone can decide: 301 multiply-adds are within 600 statements but 1,204 blocks at 128 bits.
        Assert.False(KernelPlanner.Int8PassUnrolled(8, 300 + 1, 4));
        Assert.True(KernelPlanner.Int8PassUnrolled(8, 300, 4));
    }

    [Fact]
    public void ThePathOf128BitsIsPlannedForBothX64AndArm64AndTheSmallerRegisterFile()
    {
        var path = KernelPlanner.Plan(Model(16, 64, 2, 10, false, GateConvention.ResetAfter), 4);
        Assert.Contains(TargetProfile.X64Sse42, path.Profiles);
        Assert.Contains(TargetProfile.Arm64AdvSimd, path.Profiles);
        Assert.Equal(16, path.Registers);
        // 64 rows × 3 gates per chunk: 8 accumulators + broadcast + weight fit 16 registers; the chunk is walked in 4 passes.
        Assert.Equal(8, path.Layers[0].Input!.Accumulators);
        Assert.False(TargetProfile.X64Sse42.HasFusedMultiplyAdd);
        Assert.True(TargetProfile.Arm64AdvSimd.HasFusedMultiplyAdd);
        Assert.Equal(32, TargetProfile.Arm64AdvSimd.VectorRegisters);
    }

    [Fact]
    public void HiddenSize32IsRegisterResidentWhereItsGateVectorsFitTheRegisterFile()
    {
        var plan = Model(6, 32, 1, 6, false, GateConvention.ResetAfter);
        // 512 bits: 2 vectors per gate, 4 gates + partial sums = 16 live of 32 registers.
        var p512 = KernelPlanner.Plan(plan, 16);
        Assert.True(p512.Layers[0].RegisterResident);
        Assert.True(p512.Layers[0].LiveVectors <= 32);
        // 256 and 128 bits: 16 and 32 gate vectors alone fill or exceed 16 registers: the layer streams through scratch.
        Assert.False(KernelPlanner.Plan(plan, 8).Layers[0].RegisterResident);
        Assert.False(KernelPlanner.Plan(plan, 4).Layers[0].RegisterResident);
        // H = 8 fits every vector path.
        var tiny = Model(3, 8, 1, 4, false, GateConvention.ResetAfter);
        Assert.True(KernelPlanner.Plan(tiny, 8).Layers[0].RegisterResident);
        Assert.True(KernelPlanner.Plan(tiny, 4).Layers[0].RegisterResident);
    }

    [Fact]
    public void Int8WeightsResidentLayersTakeFewerPartialSumsOnSixteenRegisters()
    {
        var plan = Model(3, 8, 1, 4, true, GateConvention.ResetAfter);
        var p256 = KernelPlanner.Plan(plan, 8);
        Assert.True(p256.Layers[0].RegisterResident);
        // 4 partial sums would need 3 + 3·4 + 2 = 17 of 16 registers.
        Assert.Equal(2, p256.Layers[0].ResidentPartialSums);
        Assert.True(p256.Layers[0].LiveVectors <= 16);
    }

    [Fact]
    public void NarrowPathsGetTheirOwnSequentialLayoutWhereTheyWouldWalkAChunkInStridedPasses()
    {
        // medium (H = 64): 128-row chunks; one 512-bit pass covers a chunk, 256 bits take 2 passes and 128 bits 4.
        var medium = Model(16, 64, 2, 10, false, GateConvention.ResetAfter);
        Assert.False(KernelPlanner.Plan(medium, 16).Layers[1].RecurrentRz!.OwnLayout);
        Assert.True(KernelPlanner.Plan(medium, 8).Layers[1].RecurrentRz!.OwnLayout);
        Assert.True(KernelPlanner.Plan(medium, 4).Layers[1].RecurrentRz!.OwnLayout);
        Assert.False(KernelPlanner.Plan(medium, 1).Layers[1].RecurrentRz!.OwnLayout);
        // A model past the cache-sized limit streams from memory either way and keeps one copy.
        var wide = Model(8, 512, 1, 4, false, GateConvention.ResetAfter);
        Assert.True(wide.EmbeddedFloats > KernelPlanner.OwnLayoutsUpToFloats);
        Assert.False(KernelPlanner.Plan(wide, 4).Layers[0].RecurrentRz!.OwnLayout);
    }

    [Fact]
    public void ForPassesCutsEachChunkIntoSequentialPassesWithTheSameValues()
    {
        // [96, 3] row-major, granule 16: one chunk of 96 rows stored [3][96]; cut into passes of 32 rows: [3][32] × 3.
        var source = Enumerable.Range(0, 96 * 3).Select(i => (float)i).ToArray();
        var packed = PackedMatrix.Pack(source, 3, 96, 16, r => r);
        var cut = packed.ForPasses(_ => 32);
        Assert.Equal(new[] { 0, 32, 64 }, cut.Chunks.Select(c => c.Start));
        Assert.Equal(new[] { 0, 96, 192 }, cut.Chunks.Select(c => c.Offset));
        for (int row = 0; row < 96; row++)
            for (int col = 0; col < 3; col++)
            {
                var chunk = cut.Chunks[row / 32];
                Assert.Equal(source[row * 3 + col], cut.Data[chunk.Offset + col * 32 + row % 32]);
            }
        Assert.Throws<ArgumentException>(() => packed.ForPasses(_ => 40));
    }

    [Fact]
    public void WideMatricesLoopOverColumnsInsteadOfUnrolling()
    {
        var plan = Model(8, 256, 1, 4, false, GateConvention.ResetAfter);
        foreach (var path in EveryPath(plan))
        {
            Assert.False(path.Layers[0].RecurrentRz!.UnrolledColumns);
            Assert.False(path.InlineLayers);
        }
    }
    [Fact]
    public void HiddenDenseLayersAreMethodsOfTheirOwnWithinBudget()
    {
        // mlp_tanh_sigmoid_none_keras2: H = 20 → dense 16 (tanh) → 8 (sigmoid) → 3.
        var plan = NetModelPlan.Create(GeneratedCodeCases.ExtendedSweep(1, int8Weights: false).Model);
        Assert.Equal(2, plan.HiddenDense.Count);
        foreach (var path in EveryPath(plan))
        {
            Assert.Equal(new[] { "Layer0", "Dense0", "Dense1", "Output" }, path.Methods.Select(m => m.Method));
            Assert.Equal(2, path.HiddenDense.Count);
            foreach (var dense in path.HiddenDense) Assert.InRange(dense.LiveVectors, 1, path.Registers);
            Assert.All(path.Methods, m => Assert.True(m.Statements <= path.MethodBudget));
        }
    }

    [Fact]
    public void AFoldedLayer0HasNoInputPassAndUsesOnlyUInRegisters()
    {
        // token_keras3_folded: V = 50, E = 8, H = 12 (Hp 16): resident at 512 and 256 bits, scratch at 128 and scalar.
        var model = GeneratedCodeCases.ExtendedSweep(6, int8Weights: false).Model;
        var folded = NetModelPlan.Create(model, foldEmbedding: true);
        var unfolded = NetModelPlan.Create(model, foldEmbedding: false);
        Assert.True(folded.Layers[0].InputFolded);
        Assert.Equal(0, folded.Layers[0].FusedInputColumns);
        Assert.Equal(3 * 16 * 12, folded.Layers[0].FusedWeights.Data.Length);           // U only: [3Hp] rows over H columns
        Assert.Equal(50 * 3 * 16, folded.Embedding!.FoldedTable!.Length);
        Assert.Null(unfolded.Embedding!.FoldedTable);
        foreach (int width in new[] { 16, 8, 4, 1 })
        {
            var f = KernelPlanner.Plan(folded, width).Layers[0];
            var u = KernelPlanner.Plan(unfolded, width).Layers[0];
            Assert.Equal(u.RegisterResident, f.RegisterResident);
            // Without the input pass the folded layer is smaller in the same form, or stays unrolled where the
            // unfolded one had to fall back to column loops to fit the budget.
            bool sameForm = f.RegisterResident || f.RecurrentRz!.UnrolledColumns == u.RecurrentRz!.UnrolledColumns;
            if (sameForm) Assert.True(f.Statements < u.Statements, $"width {width}: folded {f.Statements} vs {u.Statements} statements");
            else Assert.True(f.RecurrentRz!.UnrolledColumns && !u.RecurrentRz!.UnrolledColumns, $"width {width}: the folded layer is the more compact form");
        }
    }
}
