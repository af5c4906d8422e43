#!/usr/bin/env bash
# The ARM64 lane (docs/arm64.md): emits the generated code of every shared case (tests/Shared/GeneratedCodeCases.cs),
# cross-compiles the NativeAOT checks for linux-arm64, runs them under qemu-aarch64-static with every ISA extension
# qemu has (-cpu max: AdvSimd, Dp, Rdm, …), and requires the integer-only int8 outputs to be the bits Int8ReferenceEngine
# gives on this x64 machine (the x64 generated code is held to the same bits by TinyGru.CodeGen.Tests). Needs qemu-user-static, gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross and clang (.ci/run installs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for tool in qemu-aarch64-static aarch64-linux-gnu-gcc clang; do
  command -v "$tool" > /dev/null || { echo "arm64 lane: $tool not found (apt-get install qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross clang)" >&2; exit 1; }
done
# TINYGRU_ARM64_CASES=PREFIX limits the lane to the cases whose name starts with PREFIX (e.g. int8_), for a quicker run.
prefix="${TINYGRU_ARM64_CASES:-}"
subset=()
[ -z "$prefix" ] || subset=(--subset)
# The cases are compiled in TINYGRU_ARM64_SHARDS executables (GeneratedCodeCases.Shard): one compilation of all of
# them needs several times the compiler time and memory of the same code in a few pieces.
shards="${TINYGRU_ARM64_SHARDS:-6}"
: > "$out/arm64.txt"
: > "$out/x64-int8.txt"
for ((k = 0; k < shards; k++)); do
  start=$SECONDS
  dotnet run --project "$root/tests/TinyGru.AotChecks.Emit" -c Release -- "$here/obj/cases" --shard "$k/$shards" $prefix
  cat "$here/obj/cases/x64-int8.txt" >> "$out/x64-int8.txt"
  dotnet publish "$here" -c Release -p:AotRid=linux-arm64 -o "$out/arm64-$k" -nologo -v quiet
  echo "arm64 lane: shard $k of $shards emitted and cross-compiled in $((SECONDS - start)) s"
  start=$SECONDS
  qemu-aarch64-static -cpu max -L /usr/aarch64-linux-gnu "$out/arm64-$k/TinyGru.AotChecks" --digests "$out/arm64-$k.txt" --shard "$k/$shards" "${subset[@]}"
  echo "arm64 lane: shard $k of $shards ran under qemu in $((SECONDS - start)) s"
  cat "$out/arm64-$k.txt" >> "$out/arm64.txt"
  rm -rf "$out/arm64-$k"
done
if ! diff <(grep '^int8_' "$out/arm64.txt" | sort) <(sort "$out/x64-int8.txt") > "$out/int8.diff"; then
  echo "arm64 lane: integer-only int8 outputs on ARM64 differ from Int8ReferenceEngine's on x64:" >&2
  head -10 "$out/int8.diff" >&2
  exit 1
fi
echo "arm64 lane: $(wc -l < "$out/x64-int8.txt") integer-only int8 cases: ARM64 outputs identical to x64's"
