#!/usr/bin/env bash
# Builds libcamera with its userspace "virtual" pipeline handler and its Python bindings, for
# the tests that run the real picamera2 off a Pi (tests/test_picamera2_virtual.py). No kernel
# camera is needed: the handler makes its frames in userspace.
#
# Source: Debian 13 (trixie)'s libcamera source package, fetched with apt-get source. The
# deb-src line is derived at run time from the machine's own Debian mirror (read from
# /etc/apt/sources.list*), written to a sources file of its own in the cache and used only
# through apt options that point apt at that file and at private lists: the machine's apt state
# is not touched, and a deb-src line can never upgrade an installed package.
#
# The result is cached outside the source tree, in $BOOTH_LIBCAMERA_CACHE (default
# /var/cache/booth) under libcamera-<Debian version>-<hash of this script, the patches and
# virtual.yaml>, so it is rebuilt only when one of those changes (a cached build of them is used
# without reading the archive's index). Prints the install prefix on
# its last line of stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${BOOTH_LIBCAMERA_CACHE:-/var/cache/booth}"
# Debian 13 (trixie), its backports, and testing (forky): apt-get source takes the newest
# libcamera among them. Debian 13's own 0.4.0-7 would do, but its source files are not served
# by every mirror or proxy (404 here); 0.7.2 from testing was.
suites="${BOOTH_LIBCAMERA_SUITES:-trixie trixie-backports forky}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

log() { echo "libcamera build: $*" >&2; }

# The machine's Debian archive URI: the first deb URI whose Release lists the suite "bookworm"
# (or any Debian suite) and which is not the security archive. Both the one-line format and
# deb822 (.sources) are read.
mirror_uri() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    case "$f" in
      *.sources)
        awk 'BEGIN{RS=""; FS="\n"}
             /(^|\n)Types:[^\n]*deb/ && /(^|\n)Suites:[^\n]*(bookworm|trixie|stable)/ {
               for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); print u[1] }
             }' "$f"
        ;;
      *)
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1) ~ /^(bookworm|trixie|stable)$/) print $i; break } }' "$f"
        ;;
    esac
  done | grep -v -e security -e '^$' | head -n 1
}

key="$(cat "$here/build.sh" "$here"/patches/*.patch "$here/virtual.yaml" | sha256sum | cut -c1-12)"
# A build of this script, patch and configuration is kept and used as it is, without asking the
# archive again: a test run must not depend on the archive answering, nor rebuild because
# testing moved on to a newer libcamera (the patch is written against the version it names).
for built in "$cache_root"/libcamera-*-"$key"/.built; do
  if [ -f "$built" ]; then
    log "cached: $(dirname "$built")"
    dirname "$built"
    exit 0
  fi
done

mirror="$(mirror_uri || true)"
if [ -z "$mirror" ]; then
  log "no Debian archive in /etc/apt/sources.list*: add one (a deb line for bookworm), or set up a mirror"
  exit 1
fi

work="$cache_root/libcamera-src"
apt_dir="$work/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources.list.d"
# Only deb-src: apt-get source reads it, nothing installs from it.
cat >"$apt_dir/booth-libcamera-src.sources" <<SRC
Types: deb-src
URIs: $mirror
Suites: $suites
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/booth-libcamera-src.sources"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "APT::Sandbox::User=root"
)
mkdir -p "$apt_dir/cache/archives/partial"

log "reading the source indexes of $suites from $mirror"
apt-get "${apt_opts[@]}" update -qq >&2
version="$(apt-cache "${apt_opts[@]}" showsrc libcamera | awk '/^Version:/ {print $2}' | sort -V | tail -n 1)"
if [ -z "$version" ]; then
  log "no libcamera source package in $suites at $mirror"
  exit 1
fi

prefix="$cache_root/libcamera-$version-$key"
if [ -f "$prefix/.built" ]; then
  log "cached: $prefix"
  echo "$prefix"
  exit 0
fi

build_deps=(
  meson ninja-build pkg-config g++ python3-yaml python3-ply python3-jinja2 pybind11-dev
  libyaml-dev libgnutls28-dev libyuv-dev libjpeg-dev libudev-dev libevent-dev dpkg-dev
)
missing=()
for p in "${build_deps[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing build dependencies: ${missing[*]}"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

started=$(date +%s)
src_parent="$work/source-$version"
rm -rf "$src_parent"
mkdir -p "$src_parent"
log "fetching libcamera $version"
(cd "$src_parent" && apt-get "${apt_opts[@]}" source --download-only -qq "libcamera=$version" >&2 \
  && dpkg-source --no-check -x ./*.dsc src >&2)
src="$src_parent/src"
for p in "$here"/patches/*.patch; do
  log "applying $(basename "$p")"
  patch -d "$src" -p1 --forward <"$p" >&2
done

# Debian's python3 (with the apt-installed ply, yaml, jinja2 that libcamera's generators use),
# not a pyenv or venv one first on PATH; the bindings it builds are for Python 3.11 either way.
export PATH="/usr/bin:/bin:$PATH"
builddir="$src_parent/build"
# Only the virtual handler, no IPA modules (nothing to sign), the Python bindings; the rest off.
# udev stays on: without it libcamera enumerates devices through /sys/bus/media, which a
# machine without a media device lacks, and the CameraManager then refuses to start (ENODEV).
meson setup "$builddir" "$src" --prefix="$prefix" --libdir=lib --buildtype=release \
  -Dpipelines=virtual -Dipas= -Dpycamera=enabled \
  -Dcam=disabled -Dqcam=disabled -Dlc-compliance=disabled -Dgstreamer=disabled \
  -Dv4l2=false -Ddocumentation=disabled -Dtest=false -Dtracing=disabled -Dudev=enabled \
  -Dcpp_link_args="-Wl,-rpath,$prefix/lib" >&2
nice ninja -C "$builddir" >&2
meson install -C "$builddir" --quiet >&2
install -m 0644 "$here/virtual.yaml" "$prefix/share/libcamera/pipeline/virtual/virtual.yaml"
echo "$(($(date +%s) - started))" >"$prefix/.build-seconds"
touch "$prefix/.built"
rm -rf "$src_parent"
log "built in $(cat "$prefix/.build-seconds") s: $prefix"
echo "$prefix"
