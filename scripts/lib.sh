# shellcheck shell=bash
# Shared by build.sh and every script in scripts/ (sourced, never run): where things are, logging, the .NET and
# Native AOT prerequisites, and ensure_apt_package, the one way a step asks for a Debian package.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
SCRIPTS="$ROOT/scripts"
# LLMPROXY_ARTIFACTS moves the output (build.ps1 honours it too).
ARTIFACTS="$(realpath -m "${LLMPROXY_ARTIFACTS:-$ROOT/artifacts}")"
export LLMPROXY_ARTIFACTS="$ARTIFACTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_GENERATE_ASPNET_CERTIFICATE=false

log() { printf '\n==> %s\n' "$*" >&2; }
warn() { printf 'build.sh: %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }

rid() {
  case "$(uname -m)" in
    x86_64|amd64) echo linux-x64 ;;
    aarch64|arm64) echo linux-arm64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (dotnet not on PATH)"
  local major
  major="$(dotnet --version 2>/dev/null | cut -d. -f1)"
  [ "${major:-0}" -ge 10 ] || die "the .NET 10 SDK is required (found $(dotnet --version 2>/dev/null || echo none))"
}

# ensure_apt_package WHAT PACKAGE: WHAT is a command on PATH or an absolute file path the package provides.
# Installs PACKAGE with apt-get when WHAT is missing and we are root (apt-get update at most once per run);
# otherwise says what to install. Returns non-zero instead of exiting: the caller decides whether that is fatal.
#   ensure_apt_package redis-server redis-server
#   ensure_apt_package /usr/include/zlib.h zlib1g-dev
ensure_apt_package() {
  local what="$1" package="$2"
  if [[ "$what" == /* ]]; then [ -e "$what" ] && return 0; else command -v "$what" >/dev/null 2>&1 && return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    warn "$what is required: sudo apt-get install $package"
    return 1
  fi
  log "installing $package"
  if [ -z "${LLMPROXY_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null || true
    export LLMPROXY_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null || { warn "apt-get install $package failed"; return 1; }
}

# Native AOT links with clang and needs zlib's headers (https://aka.ms/nativeaot-prerequisites).
ensure_aot_prereqs() {
  { ensure_apt_package clang clang && ensure_apt_package /usr/include/zlib.h zlib1g-dev; } \
    || die "Native AOT needs clang and zlib1g-dev: sudo apt-get install clang zlib1g-dev"
}
