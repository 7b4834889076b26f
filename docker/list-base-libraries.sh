#!/usr/bin/env bash
# Regenerates docker/base-debian13.{amd64,arm64}.libs: the shared libraries of gcr.io/distroless/base-debian13, read
# from the Debian 13 packages that distroless puts in it (base/config.bzl, BASE_PACKAGES["debian13"]).
# Needs apt-get and dpkg (any Debian/Ubuntu); touches no system state: apt runs on a private state directory.
set -euo pipefail
cd "$(dirname "$0")"
PACKAGES=(libc6 libssl3t64 libzstd1 zlib1g)
GLIBC=2.41 # Debian 13's libc6 upstream version
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
# shellcheck source=docker/apt-trixie-source.sh
. ./apt-trixie-source.sh
trixie_source_line >"$work/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists"
  -o "Dir::Cache=$work/cache" -o "Dir::State::status=/dev/null" -o "APT::Sandbox::User=root" -o "APT::Architectures::=amd64" -o "APT::Architectures::=arm64")
apt-get "${apt_opts[@]}" update -qq
for arch in amd64 arm64; do
  mkdir -p "$work/$arch"
  (cd "$work/$arch" && apt-get "${apt_opts[@]}" download "${PACKAGES[@]/%/:$arch}" >/dev/null)
  debs="$(cd "$work/$arch" && ls | tr '\n' ' ')"
  {
    echo "# Shared libraries in gcr.io/distroless/base-debian13 ($arch), the final stage of Dockerfile.distroless."
    echo "# Sources:"
    echo "#  - which packages: GoogleContainerTools/distroless, base/config.bzl, BASE_PACKAGES[\"debian13\"] ="
    echo "#    libc6, libssl3t64, libzstd1, zlib1g (on top of static-debian13: base-files, netbase, tzdata, ca-certificates,"
    echo "#    which hold no shared library);"
    echo "#  - which files: \`dpkg -c\` of those Debian 13 (trixie) packages, $arch: $debs"
    echo "# Regenerate with docker/list-base-libraries.sh after a base or Debian release change."
    echo "# Checked against the published binary (ELF DT_NEEDED + GLIBC_ symbol versions + OpenSSL) by"
    echo "# tests/LlmProxy.E2E/DockerImageTests.cs."
    echo "image gcr.io/distroless/base-debian13:nonroot"
    echo "glibc $GLIBC"
    for deb in "$work/$arch"/*.deb; do dpkg -c "$deb" | awk '{print $6}'; done \
      | sed 's#^\./##' \
      | grep -E '^(usr/)?lib(64)?/([a-z0-9_-]+-linux-gnu/)?[^/]+\.so(\.[0-9.]+)?$' \
      | xargs -n1 basename | sort -u
  } >"base-debian13.$arch.libs"
done
echo "wrote $(ls base-debian13.*.libs | tr '\n' ' ')"
