#!/usr/bin/env bash
# Publishes the sample with NativeAOT for linux-x64 and checks that it prints exactly what the JIT build prints for the
# bundled sensor trace. The JIT run disables AVX-512 so that both builds take the generated code's 256-bit path
# (IlcInstructionSet=x86-64-v3): the same instructions, so the outputs must be identical to the last bit.
# Then cross-compiles it for linux-arm64, runs it under qemu-aarch64-static (Debian: qemu-user-static,
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, clang; docs/arm64.md) and requires the JIT's 128-bit output: ARM64
# runs the 128-bit path (AdvSimd, fused multiply-add like x86's FMA).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
input="$root/examples/sensor-input.csv"
dotnet publish "$here" -c Release -p:TargetRid=linux-x64 -o "$out/aot" -warnaserror -nologo -v quiet
dotnet build "$here" -c Release -o "$out/jit" -nologo -v quiet
DOTNET_EnableAVX512=0 dotnet "$out/jit/imu-anomaly.dll" < "$input" > "$out/jit.csv"
"$out/aot/imu-anomaly" < "$input" > "$out/aot.csv"
rows=$(wc -l < "$out/aot.csv")
if [ "$rows" -lt 99 ]; then echo "aot-anomaly-detector: expected 99 scored frames, got $((rows - 1))" >&2; exit 1; fi
if ! cmp -s "$out/jit.csv" "$out/aot.csv"; then
  echo "aot-anomaly-detector: NativeAOT output differs from JIT output" >&2
  diff "$out/jit.csv" "$out/aot.csv" | head -5 >&2
  exit 1
fi
echo "aot-anomaly-detector: NativeAOT linux-x64 published with no warnings; $((rows - 1)) frames identical to the JIT build"

for tool in qemu-aarch64-static aarch64-linux-gnu-gcc clang; do
  command -v "$tool" > /dev/null || { echo "aot-anomaly-detector: $tool not found (apt-get install qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross clang)" >&2; exit 1; }
done
dotnet publish "$here" -c Release -p:TargetRid=linux-arm64 -o "$out/arm64" -warnaserror -nologo -v quiet
DOTNET_PreferredVectorBitWidth=128 dotnet "$out/jit/imu-anomaly.dll" < "$input" > "$out/jit128.csv"
qemu-aarch64-static -cpu max -L /usr/aarch64-linux-gnu "$out/arm64/imu-anomaly" < "$input" > "$out/arm64.csv"
if ! cmp -s "$out/jit128.csv" "$out/arm64.csv"; then
  echo "aot-anomaly-detector: linux-arm64 output (qemu) differs from the x64 128-bit output" >&2
  diff "$out/jit128.csv" "$out/arm64.csv" | head -5 >&2
  exit 1
fi
echo "aot-anomaly-detector: NativeAOT linux-arm64 published with no warnings; $((rows - 1)) frames under qemu identical to the x64 128-bit output"
