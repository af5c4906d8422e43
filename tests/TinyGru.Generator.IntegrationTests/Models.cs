using TinyGru;

namespace TinyGru.Generator.IntegrationTests;

// Paths are relative to the project folder: an exact match binds silently; a file-name-only match would warn (TGRU020).
[TinyGruModel("../fixtures/gru_tiny.safetensors")]
public partial struct GruTiny { }

[TinyGruModel("../fixtures/gru_small.safetensors")]
public partial class GruSmall { }

[TinyGruModel("../fixtures/gru_stacked.safetensors")]
internal partial struct GruStacked { }

[TinyGruModel("../fixtures/gru_stacked.onnx")]
public partial struct GruStackedOnnx { }

[TinyGruModel("../fixtures/gru_reset_before.onnx")]
public partial struct GruResetBefore { }

public static partial class Outer
{
    [TinyGruModel("../fixtures/gru_tiny.safetensors")]
    public partial record struct NestedTiny;
}

[TinyGruModel("../fixtures/gru_small_int8.safetensors")]
public partial struct GruSmallInt8 { }

[TinyGruModel("../fixtures/gru_reset_before_int8.safetensors")]
public partial class GruResetBeforeInt8 { }

[TinyGruModel("../fixtures/gru_small_int8w.safetensors")]
public partial struct GruSmallInt8Weights { }

// Issue 13: the grown model description through the generator as a user meets it. ONNX files are read by the
// generator directly; Keras .keras/.h5 files go through `tinygru convert` first (TGRU003 says so), and the
// *.converted.safetensors files are that command's output, pinned by ConvertedKerasFixturesAreCurrent in the CLI tests.

[TinyGruModel("../fixtures/gru_mlp_head.onnx")]
public partial struct GruMlpHead { }

[TinyGruModel("../fixtures/gru_mlp_softmax.onnx")]
public partial struct GruMlpSoftmax { }

[TinyGruModel("../fixtures/gru_embedding.onnx")]
public partial struct GruEmbedding { }

[TinyGruModel("../fixtures/keras_reset_after.converted.safetensors")]
public partial struct KerasResetAfter { }

[TinyGruModel("../fixtures/keras_embedding_legacy.converted.safetensors")]
public partial struct KerasEmbeddingLegacy { }
