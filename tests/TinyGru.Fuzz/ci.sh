#!/usr/bin/env bash
# Bounded fuzz run for CI: builds the harness, instruments the TinyGru assemblies, then runs each reader for
# FUZZ_SECONDS (default 20) from the committed corpus. Fails on any finding (saved under $FUZZ_FINDINGS).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-20}"
findings="${FUZZ_FINDINGS:-$(mktemp -d)}"
dotnet build -c Release -v q -nologo
harness=bin/Release/net10.0/TinyGru.Fuzz.dll
dotnet "$harness" instrument
status=0
for target in safetensors tinygru onnx csv; do
  dotnet "$harness" replay "$target" "corpus/$target" > /dev/null || { echo "fuzz: $target corpus replay failed"; status=1; }
  dotnet "$harness" run "$target" --corpus "corpus/$target" --seconds "$seconds" --seed 15 --findings "$findings/$target" | tail -n 4 || status=1
done
[ "$status" -eq 0 ] || echo "fuzz: findings in $findings"
exit "$status"
