#!/usr/bin/env bash
# Runs a published llm-proxy the way the image's final stage (gcr.io/distroless/base-debian13:nonroot) would, without
# a Docker engine: in a root file system made only of the Debian 13 packages that distroless puts in that base
# (base/config.bzl, BASE_PACKAGES["debian13"]: libc6, libssl3t64, libzstd1, zlib1g), as UID 65532, with the
# Dockerfile's ENV, in a network namespace with net.ipv4.ip_unprivileged_port_start=0 as Docker sets it.
# Checks: the binary loads and serves on port 80 as non-root; the image's HEALTHCHECK command passes; an HTTPS
# request completes a TLS handshake through the base's OpenSSL (against a local `openssl s_server`); SIGTERM exits 0.
# Negative control: the same root file system without libssl must fail the HTTPS request.
# Usage (root: unshare, mount, chroot): docker/rootfs-smoke.sh artifacts/llm-proxy
set -euo pipefail
BINARY="$(realpath "${1:?usage: docker/rootfs-smoke.sh path/to/llm-proxy}")"
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "rootfs-smoke: needs root (unshare, mount, chroot)" >&2; exit 1; }
for tool in apt-get dpkg unshare chroot openssl ip; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "rootfs-smoke: $tool is required" >&2; exit 1; }
done
case "$(uname -m)" in
  x86_64) ARCH=amd64 TRIPLET=x86_64-linux-gnu ;;
  aarch64) ARCH=arm64 TRIPLET=aarch64-linux-gnu ;;
  *) echo "rootfs-smoke: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
# The image's environment, read from the Dockerfile itself (ENV KEY=VALUE ...).
IMAGE_ENV="$(sed -n 's/^ENV //p' Dockerfile.distroless)"
[ -n "$IMAGE_ENV" ] || { echo "rootfs-smoke: no ENV in Dockerfile.distroless" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/debs" "$ROOTFS"
# shellcheck source=docker/apt-trixie-source.sh
. docker/apt-trixie-source.sh
trixie_source_line >"$WORK/apt/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$WORK/apt/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$WORK/apt/lists"
  -o "Dir::Cache=$WORK/apt/cache" -o "Dir::State::status=/dev/null" -o "APT::Sandbox::User=root" -o "APT::Architectures::=$ARCH")
apt-get "${apt_opts[@]}" update -qq
(cd "$WORK/debs" && apt-get "${apt_opts[@]}" download libc6 libssl3t64 libzstd1 zlib1g >/dev/null 2>&1)
for deb in "$WORK"/debs/*.deb; do dpkg -x "$deb" "$ROOTFS"; done

# What the distroless static layer and the container runtime add: usrmerge links, users, /tmp, /etc/hosts, /dev, /proc.
ln -s usr/lib "$ROOTFS/lib"
ln -s usr/lib64 "$ROOTFS/lib64"
mkdir -p "$ROOTFS/tmp" "$ROOTFS/dev" "$ROOTFS/proc" "$ROOTFS/home/nonroot" "$ROOTFS/etc/ssl/certs"
chmod 1777 "$ROOTFS/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$ROOTFS/etc/group"
printf '127.0.0.1 localhost\n' >"$ROOTFS/etc/hosts"
printf 'hosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
install -m 0755 "$BINARY" "$ROOTFS/llm-proxy"

# A local TLS server whose certificate the root file system trusts (and nothing else: no network here).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost >/dev/null 2>&1
cp "$WORK/cert.pem" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
cp -a "$ROOTFS" "$WORK/rootfs-nossl"
rm -f "$WORK/rootfs-nossl/usr/lib/$TRIPLET/libssl.so.3" "$WORK/rootfs-nossl/usr/lib/$TRIPLET/libcrypto.so.3"

export ROOTFS WORK IMAGE_ENV
unshare --net --mount bash -euo pipefail -c '
  mount --make-rprivate /
  for fs in "$ROOTFS" "$WORK/rootfs-nossl"; do mount --rbind /dev "$fs/dev"; mount -t proc proc "$fs/proc"; done
  ip link set lo up
  sysctl -qw net.ipv4.ip_unprivileged_port_start=0
  as_nonroot() { local fs="$1"; shift; /usr/sbin/chroot --userspec=65532:65532 "$fs" "$@"; }
  failures=0
  check() { if [ "$1" = ok ]; then echo "rootfs-smoke: ok: $2"; else echo "rootfs-smoke: FAILED: $2" >&2; failures=$((failures + 1)); fi; }

  # shellcheck disable=SC2086 # IMAGE_ENV is KEY=VALUE words
  env -i $IMAGE_ENV LOG_LEVEL=WARNING /usr/sbin/chroot --userspec=65532:65532 "$ROOTFS" /llm-proxy & proxy=$!
  openssl s_server -quiet -accept 8443 -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www >/dev/null 2>&1 & tls=$!
  healthy=""
  for _ in $(seq 50); do
    # shellcheck disable=SC2086
    if healthy="$(env -i $IMAGE_ENV /usr/sbin/chroot --userspec=65532:65532 "$ROOTFS" /llm-proxy healthcheck 2>&1)"; then break; fi
    healthy=""; sleep 0.1
  done
  [ -n "$healthy" ] && check ok "serves as UID 65532 with the image ENV ($IMAGE_ENV); HEALTHCHECK: $healthy" \
    || check fail "the image HEALTHCHECK never passed"

  https="$(env -i /usr/sbin/chroot --userspec=65532:65532 "$ROOTFS" /llm-proxy healthcheck --url https://localhost:8443/healthz 2>&1 || true)"
  case "$https" in
    *"answered 200"*) check ok "HTTPS through the base OpenSSL: $https" ;;
    *) check fail "HTTPS through the base OpenSSL: $https" ;;
  esac

  nossl="$(env -i /usr/sbin/chroot --userspec=65532:65532 "$WORK/rootfs-nossl" /llm-proxy healthcheck --url https://localhost:8443/healthz 2>&1 || true)"
  case "$nossl" in
    *"answered 200"*) check fail "negative control: HTTPS worked without libssl, so the check above proves nothing" ;;
    *) check ok "negative control: without libssl HTTPS fails ($(printf "%s" "$nossl" | head -n1))" ;;
  esac

  kill -TERM "$proxy"
  code=0; wait "$proxy" || code=$?
  [ "$code" = 0 ] && check ok "SIGTERM: exit 0" || check fail "SIGTERM: exit $code"
  kill "$tls" 2>/dev/null || true
  wait "$tls" 2>/dev/null || true
  exit "$failures"
'
