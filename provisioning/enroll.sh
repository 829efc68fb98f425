#!/usr/bin/env bash
# Enrolls the appliance with its fleet: writes the device id, the broker URL and the TLS
# files into /etc/vigil/config.yaml. Everything is validated before anything is written
# (id pattern, URL, that each PEM parses, that the key belongs to the certificate and that
# nothing has expired, then the whole config with the loader vigild boots with); on bad
# input it names the field, exits 2 and leaves the old files untouched. The config is
# replaced atomically (temp file + rename), mode 0640 root:vigil; certificates go to
# /etc/vigil/certs/ (ca.crt and device.crt 0640 root:vigil, device.key 0600 vigil).
#
# usage: sudo provisioning/enroll.sh --device-id ID --broker URL [--ca FILE]
#            [--cert FILE --key FILE] [--username NAME] [--password-file FILE]
#            [--root DIR] [--env-file FILE [--remove-env-file]]
#   --env-file FILE   read DEVICE_ID, BROKER_URL, CA, CERT, KEY, USERNAME, PASSWORD_FILE from a
#                     KEY=value file (first-boot enrollment: systemd/vigil-enroll.service)
#   --root DIR        write under DIR instead of / (images, tests); ownership is left alone
# A config that does not exist yet starts from provisioning/config.example.yaml.
set -euo pipefail

app=$(cd "$(dirname "$0")/.." && pwd)
root=/
device_id="" broker="" ca="" cert="" key="" username="" password_file="" env_file="" remove_env=0

fail_field() { printf 'enroll: %s: %s; nothing was changed\n' "$1" "$2" >&2; exit 2; }
die() { printf 'enroll: %s\n' "$*" >&2; exit 2; }

while (($#)); do
  case "$1" in
    --device-id) device_id=${2-}; shift 2 ;;
    --broker) broker=${2-}; shift 2 ;;
    --ca) ca=${2-}; shift 2 ;;
    --cert) cert=${2-}; shift 2 ;;
    --key) key=${2-}; shift 2 ;;
    --username) username=${2-}; shift 2 ;;
    --password-file) password_file=${2-}; shift 2 ;;
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --env-file) env_file=${2:?--env-file needs a file}; shift 2 ;;
    --remove-env-file) remove_env=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

if [ -n "$env_file" ]; then
  [ -r "$env_file" ] || fail_field --env-file "$env_file is not readable"
  # Parsed, not sourced: the file comes from an image and must not run code as root.
  while IFS='=' read -r k v; do
    v=${v%\"}; v=${v#\"}
    case "$k" in
      DEVICE_ID) device_id=$v ;; BROKER_URL) broker=$v ;; CA) ca=$v ;; CERT) cert=$v ;; KEY) key=$v ;;
      USERNAME) username=$v ;; PASSWORD_FILE) password_file=$v ;;
      ''|'#'*) ;;
      *) fail_field --env-file "unknown key $k" ;;
    esac
  done < "$env_file"
fi

at() { if [ "$root" = / ]; then printf '%s' "$1"; else printf '%s%s' "${root%/}" "$1"; fi; }
conf_dir=/etc/vigil
config=$conf_dir/config.yaml
certs=$conf_dir/certs

# --- validate the input -------------------------------------------------------------------
[[ $device_id =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] || fail_field --device-id "\"$device_id\" must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
[[ $broker =~ ^(mqtt|mqtts|ws|wss)://[^[:space:]/]+(:[0-9]+)?(/[^[:space:]]*)?$ ]] || fail_field --broker "\"$broker\" must be mqtt://, mqtts://, ws:// or wss:// host[:port]"
if [[ -n $cert || -n $key ]] && [[ -z $cert || -z $key ]]; then fail_field --cert/--key "give both or neither"; fi
if [[ $broker =~ ^(mqtts|wss):// ]] && [ -z "$ca" ]; then
  printf 'enroll: note: no --ca; the broker certificate is checked against the system CA store\n' >&2
fi

check_cert() {
  local field=$1 file=$2
  [ -r "$file" ] || fail_field "$field" "$file is not readable"
  openssl x509 -in "$file" -noout 2>/dev/null || fail_field "$field" "$file is not a PEM certificate"
  openssl x509 -in "$file" -noout -checkend 0 >/dev/null 2>&1 || fail_field "$field" "$file has expired ($(openssl x509 -in "$file" -noout -enddate))"
  if ! openssl x509 -in "$file" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; then
    printf 'enroll: warning: %s expires within 30 days (%s)\n' "$file" "$(openssl x509 -in "$file" -noout -enddate)" >&2
  fi
}
[ -z "$ca" ] || check_cert --ca "$ca"
if [ -n "$cert" ]; then
  check_cert --cert "$cert"
  [ -r "$key" ] || fail_field --key "$key is not readable"
  openssl pkey -in "$key" -noout 2>/dev/null || fail_field --key "$key is not a PEM private key (or it is encrypted)"
  [ "$(openssl x509 -in "$cert" -noout -pubkey)" = "$(openssl pkey -in "$key" -pubout)" ] || fail_field --key "$key does not belong to $cert"
fi
if [ -n "$password_file" ]; then [ -r "$password_file" ] || fail_field --password-file "$password_file is not readable"; fi

# --- build the new config next to the old one ---------------------------------------------
host_conf_dir=$(at "$conf_dir")
mkdir -p "$host_conf_dir" "$(at "$certs")"
base=$(at "$config")
[ -f "$base" ] || base=$app/provisioning/config.example.yaml
tmp=$(mktemp "$host_conf_dir/.config.yaml.XXXXXX")
cleanup() { rm -f "$tmp"; }
trap cleanup EXIT

# Edits the YAML document in place so the comments a technician left survive enrollment.
export ENROLL_DEVICE_ID=$device_id ENROLL_BROKER=$broker ENROLL_CA=${ca:+$certs/ca.crt} \
  ENROLL_CERT=${cert:+$certs/device.crt} ENROLL_KEY=${key:+$certs/device.key} \
  ENROLL_USERNAME=$username ENROLL_PASSWORD_FILE=${password_file:+$certs/password}
# shellcheck disable=SC2016 # JavaScript, not shell: nothing in it is meant to expand
if ! node -e '
  const fs = require("fs");
  const YAML = require(require.resolve("yaml", { paths: [process.argv[1]] }));
  const doc = YAML.parseDocument(fs.readFileSync(process.argv[2], "utf8"), { uniqueKeys: true });
  if (doc.errors.length) {
    console.error(`enroll: ${process.argv[2]} is not valid YAML: ${doc.errors[0].message.split("\n")[0]}; nothing was changed`);
    process.exit(2);
  }
  const e = process.env;
  doc.setIn(["device", "id"], e.ENROLL_DEVICE_ID);
  const prev = doc.getIn(["mqtt"], true);
  const mqtt = prev && YAML.isMap(prev) ? prev.toJSON() : {};
  mqtt.url = e.ENROLL_BROKER;
  delete mqtt.tls; delete mqtt.password; delete mqtt.password_file; delete mqtt.username;
  if (e.ENROLL_USERNAME) mqtt.username = e.ENROLL_USERNAME;
  if (e.ENROLL_PASSWORD_FILE) mqtt.password_file = e.ENROLL_PASSWORD_FILE;
  const tls = {};
  if (e.ENROLL_CA) tls.ca = e.ENROLL_CA;
  if (e.ENROLL_CERT) { tls.cert = e.ENROLL_CERT; tls.key = e.ENROLL_KEY; }
  if (Object.keys(tls).length) mqtt.tls = tls;
  doc.setIn(["mqtt"], doc.createNode(mqtt));
  fs.writeFileSync(process.argv[3], doc.toString());
' "$app" "$base" "$tmp"; then
  exit 2
fi

# The same loader vigild boots with; its lines name the field at fault.
if ! out=$(node "$app/dist/src/cli/vigild.js" --check-config "$tmp" 2>&1); then
  printf 'enroll: the resulting config is invalid; nothing was changed\n%s\n' "$out" >&2
  exit 2
fi

# --- install: certificates first, then the config that names them ---------------------------
host_only() { [ "$root" = / ]; }
have_vigil() { host_only && getent group vigil >/dev/null; }
put() { # put SRC DEST MODE OWNER
  local dest
  dest=$(at "$2")
  install -m "$3" "$1" "$dest.tmp"
  if have_vigil; then chown "$4" "$dest.tmp"; fi
  mv -f "$dest.tmp" "$dest"
}
[ -z "$ca" ] || put "$ca" "$certs/ca.crt" 0640 root:vigil
if [ -n "$cert" ]; then
  put "$cert" "$certs/device.crt" 0640 root:vigil
  put "$key" "$certs/device.key" 0600 vigil:vigil
fi
[ -z "$password_file" ] || put "$password_file" "$certs/password" 0600 vigil:vigil
chmod 0640 "$tmp"
if have_vigil; then chown root:vigil "$tmp"; fi
sync -f "$tmp" 2>/dev/null || true
mv -f "$tmp" "$(at "$config")"
printf 'enrolled: device %s, broker %s, config %s\n' "$device_id" "$broker" "$config"
if ((remove_env)) && [ -n "$env_file" ]; then rm -f "$env_file"; fi
