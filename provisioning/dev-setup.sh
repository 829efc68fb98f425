#!/usr/bin/env bash
# Prepares a checkout to run (npm start) or test (npm test) on Debian 12 / Ubuntu 22.04+:
# system packages (GStreamer, Mosquitto), npm dependencies and the TypeScript build.
# Idempotent and quick when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x gstreamer1.0-plugins-base-apps
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  mosquitto mosquitto-clients openssl
  build-essential python3 pkg-config
  # test/helpers/rtsp_server.py: a local GStreamer RTSP server for the RTSP outage tests
  python3-gi gir1.2-gst-rtsp-server-1.0
  # field tests: systemd-analyze verify on the units, shellcheck on every script, v4l2-ctl for discovery
  systemd shellcheck v4l-utils
)

log() { printf '[setup] %s\n' "$*" >&2; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
    SUDO="sudo"
  fi
  log "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The distribution's broker would hold port 1883; tests start their own on free ports.
  if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
    $SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  log "Node.js 20 or newer is required (found $(node --version 2>/dev/null || echo none)); see provisioning/install.sh"
  exit 1
fi

# npm ci only when the lockfile changed since the last install (or nothing is installed).
stamp=node_modules/.vigil-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm dependencies (native modules build from source; first run takes minutes)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# Rebuild when any source is newer than the last build.
if [ ! -f dist/.build-stamp ] || [ -n "$(find src test bench pipelines tsconfig.json package.json -newer dist/.build-stamp -print -quit 2>/dev/null)" ]; then
  log "building"
  npx tsc -p tsconfig.json
  touch dist/.build-stamp
fi
