namespace TinyGru.Benchmarks;

[TinyGruModel("models/bench_tiny.safetensors")] public partial struct BenchTiny { }
[TinyGruModel("models/bench_small.safetensors")] public partial struct BenchSmall { }
[TinyGruModel("models/bench_medium.safetensors")] public partial struct BenchMedium { }
[TinyGruModel("models/bench_large.safetensors")] public partial struct BenchLarge { }
[TinyGruModel("models/bench_tiny_int8.safetensors")] public partial struct BenchTinyInt8 { }
[TinyGruModel("models/bench_small_int8.safetensors")] public partial struct BenchSmallInt8 { }
[TinyGruModel("models/bench_medium_int8.safetensors")] public partial struct BenchMediumInt8 { }
[TinyGruModel("models/bench_large_int8.safetensors")] public partial struct BenchLargeInt8 { }
[TinyGruModel("models/bench_tiny_int8w.safetensors")] public partial struct BenchTinyInt8Weights { }
[TinyGruModel("models/bench_small_int8w.safetensors")] public partial struct BenchSmallInt8Weights { }
[TinyGruModel("models/bench_medium_int8w.safetensors")] public partial struct BenchMediumInt8Weights { }
[TinyGruModel("models/bench_large_int8w.safetensors")] public partial struct BenchLargeInt8Weights { }
