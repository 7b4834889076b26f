#!/usr/bin/env bash
# `./build.sh image-smoke`: no Docker engine here, so run the published binary in a root file system built from the
# image base's own packages, as the image's user, env and port (docker/rootfs-smoke.sh says what it checks). Root.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -x "$ARTIFACTS/llm-proxy" ] || die "no published binary ($ARTIFACTS/llm-proxy): ./build.sh publish"
{ ensure_apt_package openssl openssl && ensure_apt_package ip iproute2 && ensure_apt_package unshare util-linux; } || exit 1
exec docker/rootfs-smoke.sh "$ARTIFACTS/llm-proxy"
