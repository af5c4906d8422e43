namespace TinyGru.Benchmarks;

[TinyGruModel("models/bench_tiny.safetensors")] public partial struct BenchTiny { }
[TinyGruModel("models/bench_small.safetensors")] public partial struct BenchSmall { }
[TinyGruModel("models/bench_medium.safetensors")] public partial struct BenchMedium { }
[TinyGruModel("models/bench_large.safetensors")] public partial struct BenchLarge { }
