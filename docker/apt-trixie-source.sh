#!/usr/bin/env bash
# Prints an apt sources.list line for Debian 13 (trixie) main, on the Debian archive this machine's apt already
# uses (its first non-security deb822 `URIs:` line, else its sources.list): the packages the distroless
# base-debian13 image is built from. Sourced by list-base-libraries.sh and rootfs-smoke.sh.
trixie_source_line() {
  local mirror
  mirror="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v -- '-security' | head -n 1)"
  [ -n "$mirror" ] || mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null)"
  [ -n "$mirror" ] || { echo "no Debian archive configured for apt on this machine" >&2; return 1; }
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main"
}
