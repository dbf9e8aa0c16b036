#!/usr/bin/env bash
# Installs everything Kapstan and its test suite need on a fresh Debian machine:
# Debian packages (PostgreSQL for the store tests, Chromium for the console's browser
# tests, Graphviz for the console's graph picture), the Python package with its dev
# dependencies, the console's JavaScript from the npm registry, and the sandbox's
# Kubernetes binaries and helm built from Go modules (cached in ~/.cache/kapstan; the first
# build takes several minutes, later runs are instant).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# PostgreSQL for the store tests; Chromium for the console's browser tests; Graphviz (dot)
# lays out the console's dependency-graph picture, offline, edges routed around the boxes;
# GNU time reports each tool's peak memory in bench/bench_deploy.py.
APT_PACKAGES=(postgresql chromium graphviz time)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v npm >/dev/null || { echo "error: Node.js 20+ with npm is needed to build the console assets" >&2; exit 1; }
command -v go >/dev/null || { echo "error: Go 1.26+ is needed to build the sandbox (https://go.dev/dl)" >&2; exit 1; }

python3 -m pip install -q -e '.[dev]'
# The console's JavaScript (htmx) comes from the npm registry at set-up time, never from the repo.
npm ci --prefix web --no-audit --no-fund --loglevel=error
npm run build --prefix web --silent
# The sandbox's binaries: etcd, Kubernetes, kwok and metrics-server, each built once from
# pinned Go modules into ~/.cache/kapstan (metrics-server adds ~6 CPU-minutes, ~3 min on 2 idle cores).
kapstan sandbox build
# helm renders charts for `kapstan import helm`; built from Go modules like the sandbox.
python3 -c "from kapstan.importers.helmbin import ensure_helm; ensure_helm()"
echo "setup done: run 'kapstan demo' or the tests ('python -m pytest')"
