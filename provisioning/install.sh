#!/usr/bin/env bash
# Turns a bare Jetson, Raspberry Pi or generic Debian/Ubuntu box into a vigil appliance:
# GStreamer packages for the platform, Node.js 20+, the app in /opt/vigil, the vigil user,
# /etc/vigil, the data dir, the systemd units (enabled) and the hardware watchdog.
#
# Idempotent: every action checks first and prints "ok: ..." when nothing needs doing or
# "changed: ..." when it did something; a second run prints only ok lines. --dry-run prints
# "would change: ..." instead of acting.
#
# usage: sudo provisioning/install.sh [--dry-run] [--root DIR] [--from-tarball FILE]
#                                     [--platform-root DIR] [-- ENROLL-OPTIONS...]
#   --dry-run            print every action, change nothing
#   --root DIR           install into DIR (an image or a throwaway root): every path is
#                        prefixed; apt, useradd and systemctl are printed as skipped
#   --from-tarball FILE  install the app from a release tarball (provisioning/pack.sh)
#                        instead of this checkout
#   --platform-root DIR  detect the platform from DIR/etc/nv_tegra_release and
#                        DIR/proc/device-tree/model (default: the real ones); also
#                        $VIGIL_PLATFORM_ROOT
#   -- ENROLL-OPTIONS    after installing, run provisioning/enroll.sh with these options
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=/
dry=0
tarball=""
platform_root=${VIGIL_PLATFORM_ROOT:-/}
enroll_args=()

APP_DIR=/opt/vigil
CONF_DIR=/etc/vigil
DATA_DIR=/var/lib/vigil
UNIT_DIR=/etc/systemd/system
WATCHDOG_DROPIN=/etc/systemd/system.conf.d/vigil-watchdog.conf
NODE_MAJOR_MIN=20
UNITS=(vigil.service vigil-enroll.service)

die() { printf 'install: %s\n' "$*" >&2; exit 2; }
cleanup_dirs=()
cleanup() { if ((${#cleanup_dirs[@]})); then rm -rf "${cleanup_dirs[@]}"; fi; }
trap cleanup EXIT

while (($#)); do
  case "$1" in
    --dry-run) dry=1; shift ;;
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --from-tarball) tarball=${2:?--from-tarball needs a file}; shift 2 ;;
    --platform-root) platform_root=${2:?--platform-root needs a directory}; shift 2 ;;
    --) shift; enroll_args=("$@"); break ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

root=${root%/}
[ -n "$root" ] || root=/
if [ "$root" != / ]; then
  [ -d "$root" ] || die "--root $root is not a directory"
  root=$(cd "$root" && pwd)
fi
[ -z "$tarball" ] || [ -f "$tarball" ] || die "--from-tarball $tarball not found"
if [ "$root" = / ] && ((dry == 0)) && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo), or use --dry-run / --root DIR"
fi

# The host path of a target path: the same path under --root.
at() { if [ "$root" = / ]; then printf '%s' "$1"; else printf '%s%s' "$root" "$1"; fi; }

ok() { printf 'ok: %s\n' "$*"; }
skipped() { printf 'skipped: %s\n' "$*"; }
# change DESCRIPTION CMD...: runs CMD (or only prints it under --dry-run).
change() {
  local what=$1; shift
  if ((dry)); then
    printf 'would change: %s\n' "$what"
  else
    "$@"
    printf 'changed: %s\n' "$what"
  fi
}
host_only() { [ "$root" = / ]; }
systemd_running() { host_only && [ -d /run/systemd/system ]; }

# --- platform ----------------------------------------------------------------------------
platform=generic
if [ -e "$platform_root/etc/nv_tegra_release" ]; then
  platform=jetson
elif [ -r "$platform_root/proc/device-tree/model" ] && tr -d '\0' < "$platform_root/proc/device-tree/model" | grep -q 'Raspberry Pi'; then
  platform=rpi
fi
printf 'platform: %s (markers under %s)\n' "$platform" "$platform_root"

# --- system packages ---------------------------------------------------------------------
packages=(gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x gstreamer1.0-plugins-base-apps
  v4l-utils openssl ca-certificates systemd)
case "$platform" in
  # JetPack's accelerated elements (nvv4l2h264enc, nvvidconv, nvarguscamerasrc).
  jetson) packages+=(nvidia-l4t-gstreamer) ;;
  # libcamerasrc for CSI cameras and rpicam-hello for `vigil cameras`.
  rpi) packages+=(gstreamer1.0-libcamera rpicam-apps-lite) ;;
esac

ensure_packages() {
  if ! host_only; then
    skipped "apt-get install ${packages[*]} (root is $root, not this system)"
    return
  fi
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    ok "system packages installed (${#packages[@]})"
    return
  fi
  change "apt-get install ${missing[*]}" apt_install "${missing[@]}"
}
apt_install() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Node.js ------------------------------------------------------------------------------
ensure_node() {
  if ! host_only; then
    skipped "Node.js $NODE_MAJOR_MIN+ check (root is $root; the image must provide /usr/bin/node)"
    return
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((major >= NODE_MAJOR_MIN)); then
    ok "Node.js $(node --version) at $(command -v node)"
    return
  fi
  change "install Node.js $NODE_MAJOR_MIN from NodeSource (found ${major/#0/none})" install_node
}
install_node() {
  apt-get install -y -qq curl gnupg >/dev/null
  curl -fsSL "https://deb.nodesource.com/setup_${NODE_MAJOR_MIN}.x" | bash - >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
}

# --- user ---------------------------------------------------------------------------------
ensure_user() {
  if ! host_only; then
    skipped "useradd --system vigil (groups video) (root is $root)"
    return
  fi
  if ! getent passwd vigil >/dev/null; then
    change "create system user vigil (groups video)" \
      useradd --system --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin --user-group --groups video vigil
  elif ! id -nG vigil | tr ' ' '\n' | grep -qx video; then
    change "add user vigil to group video" usermod -aG video vigil
  else
    ok "user vigil exists, in group video"
  fi
}

# --- directories --------------------------------------------------------------------------
# ensure_dir PATH MODE OWNER: creates it and sets the mode; owner only on this system (the
# user does not exist in a throwaway root).
ensure_dir() {
  local path=$1 mode=$2 owner=$3 host
  host=$(at "$path")
  if [ ! -d "$host" ]; then
    change "create $path (mode $mode${owner:+, $owner})" make_dir "$host" "$mode" "$owner"
    return
  fi
  local cur_mode cur_owner
  cur_mode=$(stat -c '%a' "$host")
  cur_owner=$(stat -c '%U:%G' "$host")
  if [ "$cur_mode" != "${mode#0}" ] || { host_only && [ -n "$owner" ] && [ "$cur_owner" != "$owner" ]; }; then
    change "set $path to mode $mode${owner:+, $owner}" make_dir "$host" "$mode" "$owner"
  else
    ok "$path (mode $mode${owner:+, $owner})"
  fi
}
make_dir() {
  mkdir -p "$1"
  chmod "$2" "$1"
  if host_only && [ -n "$3" ]; then chown "$3" "$1"; fi
}

# --- files --------------------------------------------------------------------------------
# ensure_file SRC DEST MODE: installs SRC at DEST unless the content and mode already match.
ensure_file() {
  local src=$1 dest=$2 mode=$3 host
  host=$(at "$dest")
  if [ -f "$host" ] && cmp -s "$src" "$host" && [ "$(stat -c '%a' "$host")" = "${mode#0}" ]; then
    ok "$dest"
    return 1
  fi
  change "install $dest" install_file "$src" "$host" "$mode"
}
install_file() {
  mkdir -p "$(dirname "$2")"
  install -m "$3" "$1" "$2.vigil-tmp"
  mv -f "$2.vigil-tmp" "$2"
}

# --- the app --------------------------------------------------------------------------------
app_changed=0
ensure_app() {
  local work src dest
  dest=$(at "$APP_DIR")
  if ((dry)) && [ ! -d "$dest" ]; then
    printf 'would change: install app into %s (from %s)\n' "$APP_DIR" "${tarball:-checkout $repo}"
    return
  fi
  work=$(mktemp -d)
  cleanup_dirs+=("$work")
  if [ -n "$tarball" ]; then
    src="$work/app"
    mkdir -p "$src"
    tar -xzf "$tarball" -C "$src"
    [ -f "$src/dist/src/cli/vigild.js" ] || die "$tarball is not a vigil release (no dist/src/cli/vigild.js)"
  else
    src="$work/app"
    "$repo/provisioning/pack.sh" --no-build --stage "$src" >/dev/null
  fi
  if [ -d "$dest" ] && diff -rq --no-dereference "$src" "$dest" >/dev/null 2>&1; then
    ok "app $(cat "$src/VERSION") in $APP_DIR"
    return
  fi
  app_changed=1
  change "install app $(cat "$src/VERSION") into $APP_DIR (from ${tarball:-checkout $repo})" replace_tree "$src" "$dest"
}
# Swaps the whole tree so a half-copied app is never what the service runs.
replace_tree() {
  mkdir -p "$(dirname "$2")"
  rm -rf "$2.vigil-new" "$2.vigil-old"
  cp -a "$1" "$2.vigil-new"
  chmod 0755 "$2.vigil-new"
  if [ -e "$2" ]; then mv "$2" "$2.vigil-old"; fi
  mv "$2.vigil-new" "$2"
  rm -rf "$2.vigil-old"
}

# --- systemd --------------------------------------------------------------------------------
units_changed=0
ensure_units() {
  local u
  for u in "${UNITS[@]}"; do
    if ensure_file "$repo/systemd/$u" "$UNIT_DIR/$u" 0644; then units_changed=1; fi
  done
  if ((units_changed)) && ((dry == 0)); then
    if systemd_running; then systemctl daemon-reload; else skipped "systemctl daemon-reload (systemd not running here)"; fi
  fi
  for u in "${UNITS[@]}"; do ensure_enabled "$u"; done
}
# Enabling is the wants symlink; on a running system systemctl creates it (and knows about
# aliases), otherwise it is made directly, which is exactly what systemctl enable would do.
ensure_enabled() {
  local u=$1 link
  link=$(at "/etc/systemd/system/multi-user.target.wants/$u")
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$UNIT_DIR/$u" ]; then
    ok "$u enabled"
  elif systemd_running; then
    change "enable $u" systemctl enable --quiet "$u"
  else
    change "enable $u (wants symlink)" enable_link "$link" "$UNIT_DIR/$u"
  fi
}
enable_link() {
  mkdir -p "$(dirname "$1")"
  ln -sfn "$2" "$1"
}

watchdog_changed=0
ensure_watchdog() {
  local conf
  conf=$(mktemp)
  printf '%s\n' '# Written by vigil provisioning/install.sh: systemd pets the hardware watchdog; a hung' \
    '# kernel or a wedged systemd reboots the board after RuntimeWatchdogSec.' \
    '[Manager]' 'RuntimeWatchdogSec=30s' 'RebootWatchdogSec=10min' > "$conf"
  if ensure_file "$conf" "$WATCHDOG_DROPIN" 0644; then watchdog_changed=1; fi
  rm -f "$conf"
  if ((watchdog_changed)) && ((dry == 0)); then
    if systemd_running; then systemctl daemon-reexec; else skipped "systemctl daemon-reexec (systemd not running here)"; fi
  fi
}

ensure_running() {
  if ! host_only; then
    skipped "start vigil.service (root is $root)"
  elif ! systemd_running; then
    skipped "start vigil.service (systemd is not running here)"
  elif [ ! -f "$CONF_DIR/config.yaml" ]; then
    skipped "start vigil.service: $CONF_DIR/config.yaml missing (enroll first: provisioning/enroll.sh)"
  elif ((app_changed || units_changed)) || ! systemctl is-active --quiet vigil.service; then
    change "restart vigil.service" systemctl restart vigil.service
  else
    ok "vigil.service running"
  fi
}

ensure_packages
ensure_node
ensure_user
ensure_app
ensure_dir "$CONF_DIR" 0770 root:vigil
ensure_dir "$CONF_DIR/certs" 0750 root:vigil
ensure_dir "$DATA_DIR" 0750 vigil:vigil
ensure_units
ensure_watchdog
if ((${#enroll_args[@]})); then
  if ((dry)); then
    printf 'would change: enroll with: %s\n' "${enroll_args[*]}"
  else
    "$(at "$APP_DIR")/provisioning/enroll.sh" --root "$root" "${enroll_args[@]}"
  fi
fi
ensure_running
