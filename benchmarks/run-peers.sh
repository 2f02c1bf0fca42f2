#!/usr/bin/env bash
# Installs the peer tools from Debian packages when they are missing, then runs the side-by-side comparison.
# Usage: benchmarks/run-peers.sh [peers options: --quick --loops-hd N --loops-uhd N --repeats N --only OP,OP --markdown FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "run-peers: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -o DPkg::Lock::Timeout=300 >/dev/null
    apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "run-peers: missing ${missing[*]} and not root: those peers are reported as not installed" >&2
  fi
fi

exec dotnet run -c Release --project benchmarks/GpuMesh.Benchmarks -- peers "$@"
