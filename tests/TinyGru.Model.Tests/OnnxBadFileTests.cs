using System.Text;
using TinyGru.Model.Onnx;
using Xunit;

namespace TinyGru.Model.Tests;

/// <summary>Every rejected file gets a <see cref="ModelFormatException"/> that names the file, the place and what was expected.</summary>
public class OnnxBadFileTests
{
    private const string Supported =
        "supported are a Gather on an embedding table, GRU layers, layout ops (Identity, Transpose, Squeeze, Unsqueeze, Reshape, Flatten, Gather or Slice of the last " +
        "time step, and Concat of the layers' states followed by the last layer's row), dense layers (MatMul and Add, or Gemm) each followed by at most one " +
        "Relu, Tanh or Sigmoid, and a final Softmax, Sigmoid or Tanh";

    private static void AssertRejected(byte[] bytes, string source, string message)
    {
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(bytes, source));
        Assert.Equal(message, e.Message);
        Assert.Equal(source, e.FileName);
    }

    private static byte[] Fixture(string name) => File.ReadAllBytes(Fixtures.Path(name));

    [Fact]
    public void EmptyFile() =>
        AssertRejected(Array.Empty<byte>(), "empty.onnx", "empty.onnx: the file is empty; expected an ONNX model (a protobuf ModelProto)");

    [Fact]
    public void TruncatedFixture() =>
        AssertRejected(Fixture("gru_tiny.onnx").Take(1000).ToArray(), "gru_tiny.onnx",
            "gru_tiny.onnx: graph: truncated protobuf at byte 20: the message declares 2285 bytes but only 978 remain in the file");

    [Fact]
    public void TruncatedInsideANode()
    {
        // Keep the first 40 bytes of the graph and declare the graph that long, so that the cut falls inside graph.node[0].
        var r = new ProtobufReader(Fixture("gru_reset_before.onnx"), "model");
        r.TryReadTag(out _, out _);
        r.ReadVarint(); // ir_version
        r.TryReadTag(out _, out _);
        var graph = r.ReadBytes();
        var cut = new ProtobufWriter().Varint(1, 8).Bytes(7, graph.Take(40).ToArray()).ToArray();
        AssertRejected(cut, "cut.onnx", "cut.onnx: graph.node[0]: truncated protobuf at byte 5: the message declares 89 bytes but only 38 remain in graph");
    }

    [Fact]
    public void RandomBytes()
    {
        var bytes = new byte[256];
        new Random(42).NextBytes(bytes);
        AssertRejected(bytes, "random.onnx", "random.onnx: model: invalid protobuf at byte 0: field 7 has wire type 6, which does not exist");
    }

    [Fact]
    public void TextFile() =>
        AssertRejected(Encoding.UTF8.GetBytes("hello, this is not a model\n"), "notes.onnx",
            "notes.onnx: model: invalid protobuf at byte 2: field 13 uses wire type 4 (a group); groups are not supported");

    [Fact]
    public void SafetensorsFile() =>
        AssertRejected(Fixture("gru_tiny.safetensors"), "gru_tiny.safetensors", "gru_tiny.safetensors: this is a safetensors file, not an ONNX model");

    [Fact]
    public void ProtobufWithoutAGraph() =>
        AssertRejected(new ProtobufWriter().Varint(1, 8).ToArray(), "nograph.onnx",
            "nograph.onnx: model: there is no graph (ModelProto field 7); this is not an ONNX model");

    [Fact]
    public void UnsupportedOpInATorchExport()
    {
        // Rename the Squeeze node's op_type to Dropout (same length), in place.
        var bytes = Fixture("gru_tiny.onnx");
        var squeeze = new byte[] { 0x22, 0x07 }.Concat(Encoding.ASCII.GetBytes("Squeeze")).ToArray();
        int at = IndexOf(bytes, squeeze);
        Assert.True(at > 0);
        Encoding.ASCII.GetBytes("Dropout").CopyTo(bytes, at + 2);
        AssertRejected(bytes, "gru_tiny.onnx",
            "gru_tiny.onnx: node '/gru/Squeeze' (Dropout): Dropout lies on the path from the graph input to the output, but TinyGru cannot import it; " + Supported);
    }

    [Fact]
    public void UnsupportedOpBetweenGruAndHead()
    {
        var b = OnnxModelBuilder.Gru().SetOp("reshape", "LeakyRelu");
        AssertRejected(b.Build(), "leaky.onnx",
            "leaky.onnx: node 'reshape' (LeakyRelu): LeakyRelu lies on the path from the graph input to the output, but TinyGru cannot import it; " + Supported);
    }

    [Fact]
    public void HardSigmoidGatesImport() =>
        Assert.Equal(GateActivation.HardSigmoidKeras2,
            OnnxImporter.Load(OnnxModelBuilder.Gru(OnnxAttribute.Strings("activations", "HardSigmoid", "Tanh")).Build(), "hs.onnx").GateActivation);

    [Fact]
    public void HardSigmoidKeras3Gates() =>
        Assert.Equal(GateActivation.HardSigmoidKeras3,
            OnnxImporter.Load(OnnxModelBuilder.Gru(OnnxAttribute.Strings("activations", "HardSigmoid", "Tanh"), OnnxAttribute.Floats("activation_alpha", 1f / 6)).Build(), "hs.onnx").GateActivation);

    [Fact]
    public void HardSigmoidWithOtherParameters() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Strings("activations", "HardSigmoid", "Tanh"), OnnxAttribute.Floats("activation_alpha", 0.3f)).Build(), "hs.onnx",
            "hs.onnx: node 'gru' (GRU), attribute 'activation_alpha': HardSigmoid(alpha 0.3, beta 0.5) is not supported; expected alpha 0.2 (Keras 2) or 1/6 (Keras 3) with beta 0.5");

    [Fact]
    public void GraphWithoutGru()
    {
        var b = new OnnxModelBuilder().Input("x").Output("y");
        b.Floats("w", new long[] { 4, 3 }, OnnxModelBuilder.Values(12, 1)).Floats("b", new long[] { 3 }, OnnxModelBuilder.Values(3, 2));
        b.Node("MatMul", new[] { "x", "w" }, new[] { "mm" }, "dense").Node("Add", new[] { "mm", "b" }, new[] { "y" }, "bias");
        AssertRejected(b.Build(), "dense.onnx",
            "dense.onnx: graph: no GRU node lies on the path from graph input 'x' to graph output 'y'; TinyGru imports GRU models");
    }

    [Fact]
    public void BidirectionalGru() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.String("direction", "bidirectional")).Build(), "bidi.onnx",
            "bidi.onnx: node 'gru' (GRU), attribute 'direction': is 'bidirectional'; TinyGru runs GRU layers forward in time only (num_directions must be 1)");

    [Fact]
    public void ReverseGru() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.String("direction", "reverse")).Build(), "reverse.onnx",
            "reverse.onnx: node 'gru' (GRU), attribute 'direction': is 'reverse'; TinyGru runs GRU layers forward in time only (num_directions must be 1)");

    [Fact]
    public void ClipAttribute() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Float("clip", 3f)).Build(), "clip.onnx",
            "clip.onnx: node 'gru' (GRU), attribute 'clip': is not supported; TinyGru's GRU does not clip gate inputs (export without clip)");

    [Fact]
    public void NonDefaultActivations() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Strings("activations", "Relu", "Tanh")).Build(), "act.onnx",
            "act.onnx: node 'gru' (GRU), attribute 'activations': is [Relu, Tanh]; the gate activation must be Sigmoid or HardSigmoid");

    [Fact]
    public void ActivationAlpha() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Floats("activation_alpha", 0.2f)).Build(), "alpha.onnx",
            "alpha.onnx: node 'gru' (GRU), attribute 'activation_alpha': is set but activations are the defaults [Sigmoid, Tanh], which take no parameters");

    [Fact]
    public void HiddenSizeInconsistentWithWeights() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Int("hidden_size", 6)).Build(), "hidden.onnx",
            "hidden.onnx: node 'gru' (GRU), attribute 'hidden_size': is 6 but W and R have shapes [1, 15, 4] and [1, 15, 5], i.e. hidden size 5");

    [Fact]
    public void LinearBeforeResetOutOfRange() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Int("linear_before_reset", 2)).Build(), "lbr.onnx",
            "lbr.onnx: node 'gru' (GRU), attribute 'linear_before_reset': is 2; expected 0 or 1");

    [Fact]
    public void AttributeOfTheWrongType() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Float("hidden_size", 5f)).Build(), "type.onnx",
            "type.onnx: node 'gru' (GRU), attribute 'hidden_size': has type FLOAT; expected INT");

    [Fact]
    public void UnknownGruAttribute() =>
        AssertRejected(OnnxModelBuilder.Gru(OnnxAttribute.Int("output_sequence", 1)).Build(), "old.onnx",
            "old.onnx: node 'gru' (GRU), attribute 'output_sequence': is not an attribute TinyGru understands for GRU; expected only activation_alpha, activation_beta, activations, clip, direction, hidden_size, layout, linear_before_reset");

    [Fact]
    public void ExternalDataTensor()
    {
        var b = OnnxModelBuilder.Gru();
        b.RawInitializer(w => w.PackedVarints(1, new long[] { 1, 15, 4 }).Varint(2, 1).String(8, "W_external")
            .Message(13, e => e.String(1, "location").String(2, "weights.bin")).Varint(14, 1));
        AssertRejected(b.SetInputs("gru", "x", "W_external", "R", "B").Build(), "external.onnx",
            "external.onnx: initializer 'W_external': the tensor's data is stored in an external file (data_location = EXTERNAL); TinyGru imports only self-contained .onnx files — re-save the model with all tensors inside the file");
    }

    [Fact]
    public void UnsupportedDataType()
    {
        var b = OnnxModelBuilder.Gru();
        b.RawInitializer(w => w.PackedVarints(1, new long[] { 1, 15, 4 }).Varint(2, 2).String(8, "W_u8").Bytes(9, new byte[60]));
        AssertRejected(b.SetInputs("gru", "x", "W_u8", "R", "B").Build(), "uint8.onnx",
            "uint8.onnx: initializer 'W_u8': data_type is UINT8, which TinyGru does not read; expected FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT8, INT32 or INT64");
    }

    [Fact]
    public void QuantizedWeights()
    {
        var b = OnnxModelBuilder.Gru();
        b.RawInitializer(w => w.PackedVarints(1, new long[] { 1, 15, 4 }).Varint(2, 3).String(8, "W_i8").Bytes(9, new byte[60]));
        AssertRejected(b.SetInputs("gru", "x", "W_i8", "R", "B").Build(), "int8.onnx",
            "int8.onnx: node 'gru' (GRU), input 1 (W 'W_i8'): is INT8 [1, 15, 4]; expected floating-point weights (quantized GRUs are not supported)");
    }

    [Fact]
    public void TensorShapeDisagreesWithItsData()
    {
        var b = OnnxModelBuilder.Gru();
        b.Floats("W_short", new long[] { 1, 15, 4 }, new float[59]);
        AssertRejected(b.SetInputs("gru", "x", "W_short", "R", "B").Build(), "short.onnx",
            "short.onnx: initializer 'W_short': FLOAT tensor of shape [1, 15, 4] has 60 elements but raw_data holds 59 values");
    }

    [Fact]
    public void SequenceLens()
    {
        var b = OnnxModelBuilder.Gru();
        b.Int64s("lens", new long[] { 1 }, new long[] { 7 });
        AssertRejected(b.SetInputs("gru", "x", "W", "R", "B", "lens").Build(), "lens.onnx",
            "lens.onnx: node 'gru' (GRU), input 4 (sequence_lens 'lens'): is not supported; TinyGru runs every sequence to its end (export without sequence_lens)");
    }

    [Fact]
    public void NonZeroInitialState()
    {
        var b = OnnxModelBuilder.Gru();
        b.Floats("h_init", new long[] { 1, 1, 5 }, new[] { 0f, 0f, 0.5f, 0f, 0f });
        AssertRejected(b.SetInputs("gru", "x", "W", "R", "B", "", "h_init").Build(), "h0.onnx",
            "h0.onnx: node 'gru' (GRU), input 5 (initial_h 'h_init'): is a constant that is not all zeros; TinyGru starts from a zero state (or the state it carries between calls)");
    }

    [Fact]
    public void ZeroInitialStateIsAccepted()
    {
        var b = OnnxModelBuilder.Gru();
        b.Floats("h_init", new long[] { 1, 1, 5 }, new float[5]);
        var model = OnnxImporter.Load(b.SetInputs("gru", "x", "W", "R", "B", "", "h_init").Build(), "h0.onnx");
        Assert.Equal(5, model.Layers[0].HiddenSize);
    }

    [Fact]
    public void OpFromAnotherDomain() =>
        AssertRejected(OnnxModelBuilder.Gru().SetOp("reshape", "FusedReshape", "com.example").Build(), "domain.onnx",
            "domain.onnx: node 'reshape' (FusedReshape): is in operator domain 'com.example'; TinyGru imports only ops of the default ONNX domain");

    [Fact]
    public void ResidualConnection()
    {
        var model = new OnnxModelBuilder().Input("x").Output("y");
        model.Floats("W", new long[] { 1, 15, 4 }, OnnxModelBuilder.Values(60, 1)).Floats("R", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 2));
        model.Node("GRU", new[] { "x", "W", "R" }, new[] { "Y" }, "gru");
        model.Node("Add", new[] { "Y", "x" }, new[] { "y" }, "residual");
        AssertRejected(model.Build(), "residual.onnx",
            "residual.onnx: node 'residual' (Add): adds two values computed from the input (a residual or skip connection), which TinyGru does not support");
    }

    [Fact]
    public void MixedGateConventions()
    {
        var model = new OnnxModelBuilder().Input("x").Output("y");
        model.Floats("W0", new long[] { 1, 15, 4 }, OnnxModelBuilder.Values(60, 1)).Floats("R0", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 2));
        model.Floats("W1", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 3)).Floats("R1", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 4));
        model.Int64s("axis1", new long[] { 1 }, new long[] { 1 });
        model.Node("GRU", new[] { "x", "W0", "R0" }, new[] { "Y0" }, "gru0", OnnxAttribute.Int("linear_before_reset", 1));
        model.Node("Squeeze", new[] { "Y0", "axis1" }, new[] { "S0" });
        model.Node("GRU", new[] { "S0", "W1", "R1" }, new[] { "y" }, "gru1");
        AssertRejected(model.Build(), "mixed.onnx",
            "mixed.onnx: node 'gru1' (GRU), attribute 'linear_before_reset': is 0 but the previous layer's is 1; all layers of a TinyGru model use one gate convention");
    }

    [Fact]
    public void SecondLayerFedWithTheLastStepOnly()
    {
        var model = new OnnxModelBuilder().Input("x").Output("y");
        model.Floats("W0", new long[] { 1, 15, 4 }, OnnxModelBuilder.Values(60, 1)).Floats("R0", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 2));
        model.Floats("W1", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 3)).Floats("R1", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 4));
        model.Node("GRU", new[] { "x", "W0", "R0" }, new[] { "", "Y_h" }, "gru0");
        model.Node("GRU", new[] { "Y_h", "W1", "R1" }, new[] { "y" }, "gru1");
        AssertRejected(model.Build(), "laststep.onnx",
            "laststep.onnx: node 'gru1' (GRU), input 0 (X 'Y_h'): has layout [direction, batch, features(5)]; expected [time, batch, features(5)], the previous layer's full output sequence");
    }

    [Fact]
    public void GatherOfAnEarlierTimeStep()
    {
        var model = new OnnxModelBuilder().Input("x").Output("y");
        model.Floats("W", new long[] { 1, 15, 4 }, OnnxModelBuilder.Values(60, 1)).Floats("R", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 2));
        model.Int64s("first", Array.Empty<long>(), new long[] { 0 });
        model.Node("GRU", new[] { "x", "W", "R" }, new[] { "Y" }, "gru");
        model.Node("Gather", new[] { "Y", "first" }, new[] { "y" }, "first_step");
        AssertRejected(model.Build(), "first.onnx",
            "first.onnx: node 'first_step' (Gather): selects time step 0; only the last step (-1) is supported, because TinyGru produces an output at every step");
    }

    [Fact]
    public void ReshapeThatMixesTimeAndFeatures()
    {
        var b = OnnxModelBuilder.Gru();
        b.Int64s("flat_all", new long[] { 1 }, new long[] { -1 });
        AssertRejected(b.SetInputs("reshape", "S", "flat_all").Build(), "flat.onnx",
            "flat.onnx: node 'reshape' (Reshape): reshapes [time, batch, features(5)] to [-1]: the inferred axis would merge time steps with features");
    }

    [Fact]
    public void GemmWithScaledWeights()
    {
        var model = new OnnxModelBuilder().Input("x").Output("y");
        model.Floats("W", new long[] { 1, 15, 4 }, OnnxModelBuilder.Values(60, 1)).Floats("R", new long[] { 1, 15, 5 }, OnnxModelBuilder.Values(75, 2));
        model.Floats("k", new long[] { 5, 3 }, OnnxModelBuilder.Values(15, 3));
        model.Int64s("zero", Array.Empty<long>(), new long[] { 0 });
        model.Node("GRU", new[] { "x", "W", "R" }, new[] { "", "Y_h" }, "gru");
        model.Node("Gather", new[] { "Y_h", "zero" }, new[] { "h" }, "drop_direction");
        model.Node("Gemm", new[] { "h", "k" }, new[] { "y" }, "head", OnnxAttribute.Float("alpha", 0.5f));
        AssertRejected(model.Build(), "gemm.onnx",
            "gemm.onnx: node 'head' (Gemm), attribute 'alpha': is 0.5; TinyGru's dense head has no scale factor (expected 1)");
    }

    [Fact]
    public void ExtraGraphOutput()
    {
        var b = OnnxModelBuilder.Gru().Output("mm");
        AssertRejected(b.Build(), "extra.onnx",
            "extra.onnx: graph output 'mm': is neither the model output (the first graph output) nor a recurrent state output of the GRU layers; TinyGru models have one output");
    }

    [Fact]
    public void NoDefaultOpset()
    {
        var b = OnnxModelBuilder.Gru();
        b.OpsetDomain = "com.example";
        AssertRejected(b.Build(), "opset.onnx",
            "opset.onnx: opset_import: the model imports no version of the default ONNX operator set (domain '')");
    }

    [Fact]
    public void ConstantSubgraphWithACycle()
    {
        var b = OnnxModelBuilder.Gru();
        b.Node("Identity", new[] { "loop_b" }, new[] { "loop_a" }, "a").Node("Identity", new[] { "loop_a" }, new[] { "loop_b" }, "b");
        AssertRejected(b.SetInputs("gru", "x", "loop_a", "R", "B").Build(), "cycle.onnx",
            "cycle.onnx: node 'a' (Identity): value 'loop_a' depends on itself (the graph has a cycle)");
    }

    [Fact]
    public void VeryLongConstantChain()
    {
        var b = OnnxModelBuilder.Gru();
        string previous = "W";
        for (int i = 0; i < 300; i++)
        {
            b.Node("Identity", new[] { previous }, new[] { "w" + i }, "id" + i);
            previous = "w" + i;
        }
        AssertRejected(b.SetInputs("gru", "x", previous, "R", "B").Build(), "deep.onnx",
            "deep.onnx: node 'id43' (Identity): ends a chain of more than 256 ops without other inputs, longer than TinyGru follows");
    }

    [Fact]
    public void GatherThatWouldExplodeTheFileSize()
    {
        // 4096 copies of a 1024-float row: 4 M floats from a file of about 40 KB, far more than any weight transformation needs.
        var b = OnnxModelBuilder.Gru();
        b.Floats("big", new long[] { 1024 }, new float[1024]);
        b.Int64s("many", new long[] { 4096 }, new long[4096]);
        b.Node("Reshape", new[] { "big", "shape_big" }, new[] { "big2" }, "to_row");
        b.Int64s("shape_big", new long[] { 2 }, new long[] { 1, 1024 });
        b.Node("Gather", new[] { "big2", "many" }, new[] { "g1" }, "repeat_rows");
        AssertRejected(b.SetInputs("gru", "x", "g1", "R", "B").Build(), "bomb.onnx",
            "bomb.onnx: node 'repeat_rows' (Gather): constant folding would produce more data than the file's size allows; the constant subgraph is not a plausible weight transformation");
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
