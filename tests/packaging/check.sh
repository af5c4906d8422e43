#!/usr/bin/env bash
# Packs every package into a local folder feed and inspects them (metadata, readme, icon, license, SourceLink symbols,
# no pack warning; the tool's size installed and its plots), then builds a consumer project that references only the
# packages (net8.0, the oldest supported framework) and runs it against a PyTorch fixture.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.1.0-ci.$(date +%s)"
# Every package, with its metadata, symbols and no pack warning (the output of each pack is searched for one).
for project in src/TinyGru.Model src/TinyGru.Runtime generator/TinyGru.Generator src/TinyGru.Training src/TinyGru.Cli; do
  log="$(dotnet pack "$root/$project" -c Release -o "$work/feed" -p:Version="$version" -nologo -v minimal 2>&1)" || { echo "$log" >&2; exit 1; }
  if grep -qiE "warning [A-Z]+[0-9]+" <<<"$log"; then
    echo "packaging: dotnet pack $project warns:" >&2
    grep -iE "warning [A-Z]+[0-9]+" <<<"$log" >&2
    exit 1
  fi
done
fail() { echo "packaging: $*" >&2; exit 1; }
inspect() { # package id: metadata every package carries, its files, and a .snupkg whose PDBs link to the sources
  local id="$1" nupkg="$work/feed/$1.$version.nupkg" nuspec listing
  [ -f "$nupkg" ] || fail "no $1.$version.nupkg"
  nuspec="$(unzip -p "$nupkg" "$id.nuspec")"
  listing="$(unzip -Z1 "$nupkg")"
  for element in '<readme>README.md</readme>' '<icon>icon.png</icon>' '<license type="expression">MIT</license>' \
                 '<projectUrl>https://' '<tags>' '<releaseNotes>' '<repository type="git" url="https://'; do
    grep -qF "$element" <<<"$nuspec" || fail "$id.nuspec has no $element"
  done
  for entry in README.md icon.png LICENSE; do
    grep -qxF "$entry" <<<"$listing" || fail "$id.$version.nupkg has no $entry"
  done
  [ "${2:-}" = "no-symbols" ] && return 0
  local snupkg="$work/feed/$id.$version.snupkg" pdbs
  [ -f "$snupkg" ] || fail "no $id.$version.snupkg"
  pdbs="$(unzip -Z1 "$snupkg" | grep '\.pdb$' || true)"
  [ -n "$pdbs" ] || fail "$id.$version.snupkg holds no PDB"
  while read -r pdb; do
    unzip -p "$snupkg" "$pdb" | grep -aq "raw.githubusercontent.com" || fail "$id.$version.snupkg: $pdb has no SourceLink to GitHub"
  done <<<"$pdbs"
}
for id in TinyGru.Model TinyGru.Runtime TinyGru.Training TinyGru.Cli.linux-x64; do inspect "$id"; done
inspect TinyGru.Cli no-symbols         # the pointer package of the RID-specific tool packages holds no assemblies
inspect TinyGru.Generator no-symbols   # an analyzer package: its PDBs are embedded in the analyzer DLLs

# The tool: ≤ 15 MB on linux-x64, ≤ 60 MB installed, and its plots work from the installed package.
size=$(stat -c %s "$work/feed/TinyGru.Cli.linux-x64.$version.nupkg")
[ "$size" -le 15000000 ] || fail "TinyGru.Cli.linux-x64.$version.nupkg is $size bytes (limit 15 MB)"
dotnet tool install --tool-path "$work/tool" --add-source "$work/feed" TinyGru.Cli --version "$version" >/dev/null
installed=$(du -sb "$work/tool" | cut -f1)
[ "$installed" -le 60000000 ] || fail "the installed tool takes $installed bytes (limit 60 MB)"
"$work/tool/tinygru" train --data "$root/examples/sunspots.csv" --layout series --target SUNACTIVITY --window 12 \
    --hidden 4 --epochs 2 --test-fraction 0.2 --quiet -o "$work/plot-model.safetensors" --plot "$work/plot.png"
[ "$(head -c 8 "$work/plot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "tinygru train --plot wrote no PNG"
echo "packaging: TinyGru.Cli.linux-x64 nupkg $size bytes, installed $installed bytes, plot $(stat -c %s "$work/plot.png") bytes"
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
