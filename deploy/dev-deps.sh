#!/usr/bin/env bash
# Installs the Debian packages that a development machine or CI needs to build
# and run booth off a Pi. Installs nothing when everything is already there.
set -euo pipefail

packages=(
  gcc pkg-config python3-dev python3-venv
  libasound2-dev   # pyalsaaudio builds against alsa-lib
  libsystemd-dev   # systemd-python builds against libsystemd
  alsa-utils       # arecord/aplay, handy to inspect the virtual devices
  ffmpeg           # ffprobe checks the MP4s in tests
  gettext          # msgfmt compiles the translation catalogs
  fonts-dejavu-core  # a font with å ä ö, loaded by explicit path
  systemd          # systemd-analyze verify/security check the units in deploy/systemd
  shellcheck       # lints deploy/*.sh and .ci/run
  # promtool (in Debian's prometheus package) checks and unit-tests deploy/prometheus/, and
  # node_exporter reads booth.prom in a test. On a machine running systemd, installing them
  # also enables their services (a Prometheus server on :9090, node_exporter on :9100).
  prometheus
  prometheus-node-exporter
  libcap-dev       # python-prctl (a dependency of picamera2, in the dev venv) builds against it
  age              # age/age-keygen: the tests and bench decrypt and encrypt sealed sessions
  strace           # lists the system calls age makes, against the kiosk unit's filter
  # A one-node OpenStack Swift with s3api: the object store of the receiver's tests, which
  # start their own servers and memcached on free ports (the packages' services are not used).
  swift swift-proxy swift-object swift-container swift-account memcached
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
