using BenchmarkDotNet.Running;
using TinyGru.Benchmarks;

if (args.Length > 0 && args[0] == "--write-models")
{
    BenchmarkModels.Write(Path.Combine(AppContext.BaseDirectory, "../../../models"));
    return 0;
}
if (args.Length > 0 && args[0] == "--paths")
    return PathHarness.Run(args.Skip(1).ToArray());
if (args.Length > 0 && args[0] == "--floor")
    return StreamFloorHarness.Run(args.Skip(1).ToArray());
#if !TINYGRU_AOT
if (args.Length > 0 && args[0] == "--tokens")
    return TokenEmbeddingHarness.Run(args.Skip(1).ToArray());
#endif
if (args.Length > 0 && args[0] == "--harness")
    return StepHarness.Run(args.Skip(1).ToArray());
BenchmarkSwitcher.FromAssembly(typeof(StepBenchmarks<>).Assembly).Run(args);
return 0;
