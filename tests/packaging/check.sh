#!/usr/bin/env bash
# Packs TinyGru.Model, TinyGru.Runtime and TinyGru.Generator into a local folder feed, builds a consumer project that
# references only the packages (net8.0, the oldest supported framework), and runs it against a PyTorch fixture.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.1.0-ci.$(date +%s)"
for project in src/TinyGru.Model src/TinyGru.Runtime generator/TinyGru.Generator; do
  dotnet pack "$root/$project" -c Release -o "$work/feed" -p:Version="$version" -nologo -v quiet
done
# The listing is read whole before it is searched: `unzip -l … | grep -q` under pipefail fails with SIGPIPE (141)
# whenever grep stops reading before unzip has finished writing.
listing="$(unzip -Z1 "$work/feed/TinyGru.Generator.$version.nupkg")"
for entry in analyzers/dotnet/cs/TinyGru.Generator.dll analyzers/dotnet/cs/TinyGru.Model.dll buildTransitive/TinyGru.Generator.props; do
  if ! grep -qxF "$entry" <<<"$listing"; then
    echo "packaging: TinyGru.Generator.$version.nupkg has no $entry" >&2
    exit 1
  fi
done
cp -r "$root/tests/packaging/consumer" "$work/consumer"
mkdir -p "$work/consumer/models"
cp "$root/tests/fixtures/gru_tiny.safetensors" "$work/consumer/models/"
cat > "$work/consumer/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="tinygru-local" value="$work/feed" />
  </packageSources>
</configuration>
XML
export NUGET_PACKAGES="$work/packages"
dotnet build "$work/consumer" -c Release -p:TinyGruVersion="$version" -nologo -v quiet
dotnet "$work/consumer/bin/Release/net8.0/Consumer.dll" "$root/tests/fixtures/gru_tiny.expected.safetensors"
