#!/usr/bin/env bash
# Native AOT publish of one project into one executable.
#   scripts/publish-aot.sh [--if-stale] PROJECT.csproj NAME DEST_DIR
# Installs DEST_DIR/NAME (mode 0755) and moves its debug symbols to DEST_DIR/symbols/NAME.dbg (perf reads them).
# Any IL/AOT (trim) warning fails the publish: zero warnings is a rule, not a wish. With --if-stale nothing happens
# when DEST_DIR/NAME is newer than every source file of the project's folder and the shared build props.
# The product: scripts/publish-aot.sh src/LlmProxy/LlmProxy.csproj llm-proxy artifacts (what `./build.sh publish` does).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if_stale=false
[ "${1:-}" = --if-stale ] && { if_stale=true; shift; }
[ $# = 3 ] || die "usage: scripts/publish-aot.sh [--if-stale] PROJECT.csproj NAME DEST_DIR"
project="$1" name="$2" dest="$(realpath -m "$3")"
bin="$dest/$name"

if $if_stale && [ -x "$bin" ]; then
  # Sources only: bin/ and obj/ change on every build and would force a publish each time.
  newer="$(find "$(dirname "$project")" Directory.Build.props Directory.Packages.props -newer "$bin" -type f \
    -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null)"
  [ -z "$newer" ] && exit 0
fi

ensure_dotnet
ensure_aot_prereqs
out="$dest/.publish-$name" logfile="$dest/$name.publish.log"
mkdir -p "$dest"
rm -rf "$out"
log "AOT publish of $name ($(rid))"
if ! dotnet publish "$project" -c Release -r "$(rid)" -o "$out" -nologo >"$logfile" 2>&1; then
  cat "$logfile" >&2
  exit 1
fi
if grep -Eq 'warning (IL[0-9]+|AOT)' "$logfile"; then
  grep -E 'warning (IL[0-9]+|AOT)' "$logfile" | sort -u >&2
  die "the AOT publish of $name produced trim/AOT warnings"
fi
install -m 0755 "$out/$name" "$bin"
mkdir -p "$dest/symbols"
if [ -f "$out/$name.dbg" ]; then mv "$out/$name.dbg" "$dest/symbols/$name.dbg"; fi
rm -rf "$out"
log "published $bin ($(du -h "$bin" | cut -f1))"
