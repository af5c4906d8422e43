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
