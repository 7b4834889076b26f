# syntax=docker/dockerfile:1
# llm-proxy as a distroless container: one Native AOT executable, no shell, no package manager, non-root.
#   docker build -t llm-proxy -f Dockerfile.distroless .      (or: docker build -t llm-proxy .  — `Dockerfile` is a copy)
#   docker run --rm -p 8000:80 -e PROXY_API_KEYS=change-me -e LLM_PROVIDER=stub llm-proxy
# What can be checked without a Docker engine is checked by tests/LlmProxy.E2E/DockerImageTests.cs.

# ---- build: the .NET 10 SDK plus the Native AOT prerequisites (clang links the binary, zlib headers;
# https://aka.ms/nativeaot-prerequisites). .NET 10 ships no Debian SDK images, so this is Ubuntu 24.04 (glibc 2.39);
# the final stage's glibc (2.41) is newer, so the binary never asks for a glibc the base lacks.
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore from the project files alone first, so the package layer stays cached while sources change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/LlmProxy/LlmProxy.csproj src/LlmProxy/
ARG TARGETARCH
RUN RID=linux-x64; if [ "$TARGETARCH" = "arm64" ]; then RID=linux-arm64; fi; \
    dotnet restore src/LlmProxy/LlmProxy.csproj -r "$RID"
COPY src/ src/
RUN RID=linux-x64; if [ "$TARGETARCH" = "arm64" ]; then RID=linux-arm64; fi; \
    dotnet publish src/LlmProxy/LlmProxy.csproj -c Release -r "$RID" --no-restore -nologo -o /out \
 && rm -f /out/llm-proxy.dbg

# ---- run: gcr.io/distroless/base-debian13, chosen over its siblings on purpose:
#  - not static-debian13: that has no glibc, and the binary links libc.so.6, libm.so.6 and ld-linux;
#  - not base-nossl-debian13: .NET loads libssl.so.3 / libcrypto.so.3 with dlopen at run time for TLS, so without
#    libssl every HTTPS upstream (OPENAI_COMPAT_BASE_URL=https://...) would fail inside the image;
#  - not cc-debian13: it only adds libstdc++/libgcc, which a Native AOT binary does not need.
# base-debian13 = glibc + libssl3t64 + zlib1g + libzstd1 + CA certificates + tzdata (distroless base/config.bzl).
# The exact library list is kept in docker/base-debian13.<arch>.libs and checked against the binary's needs.
FROM gcr.io/distroless/base-debian13:nonroot
COPY --from=build /out/llm-proxy /llm-proxy
# The image listens on all interfaces, port 80 (docs/configuration.md): anyone who reaches the port can use it,
# so set PROXY_API_KEYS (docs/security.md).
ENV HOST=0.0.0.0 PORT=80
EXPOSE 80
# 65532 is distroless's "nonroot". It may bind port 80 because Docker (20.10+) and Podman set
# net.ipv4.ip_unprivileged_port_start=0 in the container's network namespace (moby/moby#41030). Kubernetes and
# `--network host` do not: there, run with PORT=8080 (or that sysctl) — see docs/operations.md, "Docker".
USER 65532:65532
# SIGTERM starts the graceful drain (SHUTDOWN_TIMEOUT_SECONDS, default 30 s): give `docker stop -t` more than that.
STOPSIGNAL SIGTERM
# No curl in a distroless image: the binary probes its own /healthz (on 127.0.0.1:$PORT) and exits 0 or 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/llm-proxy", "healthcheck"]
# Exec form: the proxy is PID 1 and receives SIGTERM itself (a shell form would need /bin/sh, which is absent).
ENTRYPOINT ["/llm-proxy"]
