using TinyGru;

namespace TinyGru.Generator.IntegrationTests;

// The attribute path is matched against AdditionalFiles relative to the project, then by file name.
[TinyGruModel("../fixtures/gru_tiny.safetensors")]
public partial struct GruTiny { }

[TinyGruModel("gru_small.safetensors")]
public partial class GruSmall { }

[TinyGruModel("gru_stacked.safetensors")]
internal partial struct GruStacked { }

[TinyGruModel("gru_stacked.onnx")]
public partial struct GruStackedOnnx { }

[TinyGruModel("gru_reset_before.onnx")]
public partial struct GruResetBefore { }

public static partial class Outer
{
    [TinyGruModel("gru_tiny.safetensors")]
    public partial record struct NestedTiny;
}

[TinyGruModel("gru_small_int8.safetensors")]
public partial struct GruSmallInt8 { }

[TinyGruModel("gru_reset_before_int8.safetensors")]
public partial class GruResetBeforeInt8 { }

[TinyGruModel("gru_small_int8w.safetensors")]
public partial struct GruSmallInt8Weights { }
