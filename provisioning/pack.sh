#!/usr/bin/env bash
# Builds the release tarball: the compiled app, pipelines, provisioning scripts, systemd units
# and production node_modules, as vigil-<version>-linux-<arch>.tar.gz with the app at its top
# level (unpack anywhere, run node dist/src/cli/vigild.js).
#
# Native modules (better-sqlite3, gstreamer-superficial) are compiled for the machine that
# packs, so pack on the target architecture (an arm64 board or an arm64 container for
# Jetson/Pi). node_modules is copied from the checkout and pruned to production dependencies:
# no rebuild, no network.
#
# usage: provisioning/pack.sh [--out DIR] [--stage DIR] [--no-build]
#   --out DIR    where the tarball goes (default: dist/release/, ignored by git)
#   --stage DIR  only assemble the tree in DIR (empty or absent), no tarball (install.sh uses this)
#   --no-build   do not run tsc first (dist/ must be current)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/dist/release"
stage=""
build=1

die() { printf 'pack: %s\n' "$*" >&2; exit 2; }

while (($#)); do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --stage) stage=${2:?--stage needs a directory}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done

cd "$repo"
[ -d node_modules ] || die "node_modules missing: run provisioning/dev-setup.sh (npm ci) first"
if ((build)); then
  npx tsc -p tsconfig.json
fi
[ -f dist/src/cli/vigild.js ] || die "dist/ missing: build with npx tsc -p tsconfig.json"

version=$(node -p 'require("./package.json").version')
arch=$(node -p 'process.arch')

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
if [ -z "$stage" ]; then
  tmp=$(mktemp -d)
  stage="$tmp/vigil"
fi
if [ -e "$stage" ] && [ -n "$(ls -A "$stage")" ]; then
  die "stage directory $stage is not empty"
fi
mkdir -p "$stage/dist"

# The compiled daemon and CLI only: tests and benches stay out of the release.
cp -a dist/src dist/package.json "$stage/dist/"
cp -a pipelines systemd provisioning package.json package-lock.json README.md "$stage/"
[ -f .npmrc ] && cp -a .npmrc "$stage/"
# Production dependencies only, copied with their compiled native modules (no rebuild): the
# top-level node_modules entries that `npm ls --omit=dev` lists (nested ones travel inside).
mkdir -p "$stage/node_modules"
prod=$(npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s#^$repo/node_modules/\(@[^/]*/[^/]*\|[^@/][^/]*\).*#\1#p" | sort -u)
[ -n "$prod" ] || die "npm ls found no production dependencies"
while IFS= read -r dep; do
  mkdir -p "$stage/node_modules/$(dirname "$dep")"
  cp -a "node_modules/$dep" "$stage/node_modules/$dep"
done <<< "$prod"
# onnxruntime-node ships binaries for every OS and CPU (288 MB); the board needs its own only.
ort="$stage/node_modules/onnxruntime-node/bin"
if [ -d "$ort" ]; then
  for dir in "$ort"/napi-v*/*; do
    [ "$(basename "$dir")" = linux ] || rm -rf "$dir"
  done
  for dir in "$ort"/napi-v*/linux/*; do
    [ "$(basename "$dir")" = "$arch" ] || rm -rf "$dir"
  done
fi
printf '%s\n' "$version" > "$stage/VERSION"

if [ -n "$tmp" ]; then
  mkdir -p "$out"
  tarball="$out/vigil-$version-linux-$arch.tar.gz"
  # Sorted, root-owned entries with one fixed mtime: packing the same tree twice gives the
  # same contents, so install.sh sees nothing to change.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' -C "$stage" -czf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  printf '%s\n' "$tarball"
else
  printf '%s\n' "$stage"
fi
