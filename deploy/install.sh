#!/usr/bin/env bash
# Installs a booth on Raspberry Pi OS Bookworm Lite (64-bit), or updates it to this version.
#
#   sudo deploy/install.sh              install or update (safe to run again: changes only what differs)
#   sudo deploy/install.sh --dry-run    print every action without doing any of it
#   sudo deploy/install.sh --rollback   go back to the release that was installed before
#   sudo deploy/install.sh --uninstall  remove the software, units and boot settings;
#                                       keeps settings, interviews and takes (--purge removes them)
#   sudo deploy/install.sh --read-only-root   also put the root file system under an overlay
#   sudo deploy/install.sh --writable-root    take the overlay off again (to update; reboot)
#   sudo deploy/install.sh --system           only the system settings below (no release)
#
# What it does: Debian packages (picamera2 and PyAV, numpy, systemd, the tools to build
# pyalsaaudio), a venv per release under /opt/booth/releases/<version> with the rest, pinned by
# deploy/constraints.txt, and /opt/booth/current pointing at the one in use, the `booth` user and its
# groups, /etc/booth and /var/lib/booth with safe permissions, the boot configuration
# (hardware/config.txt, and no console blanking) and the systemd units (kiosk, sync, metrics,
# occupied light), enabled. And the fleet settings (README "Monitoring a fleet", "Locking a
# booth down"): a console nobody can leave
# (no SysRq, no Ctrl-Alt-Del, no getty on any VT), uploads only after NTP has set the clock,
# Wi-Fi power saving off, booth.prom writable in node_exporter's textfile directory, and
# optionally a read-only root (deploy/power-cuts.md says what survives a power cut).
#
# BOOTH_ROOT=DIR is for tests: every file is read and written under DIR, and system commands
# (apt-get, useradd, chown, systemctl, pip) are printed instead of run.
set -euo pipefail

ROOT="${BOOTH_ROOT:-}"
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

OPT=/opt/booth
ETC=/etc/booth
VAR=/var/lib/booth
BIN_LINK=/usr/local/bin/booth
UNIT_DIR=/etc/systemd/system
UNITS=(booth-kiosk.service booth-sync.service booth-metrics.service booth-occupied.service)
# The RAM scratch /run/booth: running sessions and practice takes, in clear, never on the card.
SCRATCH_MOUNT=run-booth.mount
USER_NAME=booth
# video: camera and encoder; render: GPU; audio: mic and speaker; gpio: pins and PWM; input: touch.
GROUPS_NEEDED=(video render audio gpio input)
TOKEN=$ETC/upload.token
BLOCK_BEGIN="# >>> booth (managed by deploy/install.sh from hardware/config.txt)"
BLOCK_END="# <<< booth"
# Kernel command line: no console blanking, no blinking cursor behind the kiosk, and the first
# HDMI port counted as connected even when the screen was off at boot (the KMS driver's own
# switch; config.txt's hdmi_force_hotplug covers the firmware's part, raspberrypi/firmware#326).
# The forced hotplug only where the screen is HDMI (see screen_kind): with a DSI panel, a
# forced HDMI port is a second, empty screen.
CMDLINE_SETTINGS=(consoleblank=0 vt.global_cursor_default=0 vc4.force_hotplug=1)
HOTPLUG_SETTINGS=(vc4.force_hotplug=1 hdmi_force_hotplug=1)
SCREEN=hdmi
APT_PACKAGES=(
  python3-venv
  ffmpeg alsa-utils fonts-dejavu-core
  age  # seals finished sessions to [privacy] recipients (the format's reference implementation)
)
# pygame is built from source against Raspberry Pi OS's SDL, which has the KMSDRM video driver
# the kiosk draws with; PyPI's pygame wheels bundle an SDL without it ("kmsdrm not available").
PYGAME_REQUIREMENT="pygame==2.6.1"
APT_PACKAGES+=(libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libsdl2-mixer-dev libfreetype-dev libportmidi-dev)
# gpiozero's pin factory on Bookworm: pip's gpiozero does not pull in lgpio (seen by the venv).
# python3-lgpio is in the Raspberry Pi archive only: PI_ARCHIVE_PACKAGES below.
# >>> reproducible installs: where each package comes from (README, "Which package comes from where")
# Python packages from Debian, seen by the venv through --system-site-packages: nothing to compile.
APT_PACKAGES+=(python3-numpy python3-systemd)
# pyalsaaudio is built by pip: Debian's python3-alsaaudio (0.8.4) is too old for booth.
APT_PACKAGES+=(gcc python3-dev libasound2-dev)
# From the Raspberry Pi archive (Debian has no libcamera for Python nor lgpio, and its python3-av
# is 10.0): picamera2 and the PyAV its encoders and PyavOutput use, which booth shares, and lgpio.
# Skipped, and said so, with --without-pi-archive, which only make arm64-check uses.
PI_ARCHIVE_PACKAGES=(python3-picamera2 python3-av python3-lgpio)
WITHOUT_PI_ARCHIVE=0
# Every Python package of a release is pinned here (pip --constraint)...
CONSTRAINTS=$SOURCE/deploy/constraints.txt
# ...except these, which apt installed: pinned to apt's version, so pip never installs a second
# copy in the venv that would shadow the one picamera2 (or the rest of the system) uses.
APT_PYTHON=(av:python3-av numpy:python3-numpy systemd-python:python3-systemd)
APT_SITE=/usr/lib/python3/dist-packages
# <<< reproducible installs

usage() {
  # The header comment, however long it grows.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
  cat <<'EOF'

Options:
  --dry-run        print what would be done, change nothing
  --force          install on a machine that is not a Raspberry Pi (or purge with takes left)
  --version V      release name (default: the version in pyproject.toml)
  --source PATH    what pip installs (default: this source tree; a wheel works too)
  --rollback       switch back to the previous release
  --uninstall      remove the booth software; add --purge to remove its data and user too
  --without-pi-archive
                   skip the Raspberry Pi archive's packages (picamera2, PyAV, lgpio): for an
                   emulated check on plain Debian only; a booth without them has no camera
  --read-only-root turn on Raspberry Pi OS's overlay root (/var/lib/booth must be its own
                   partition in /etc/fstab); reboot to apply
  --writable-root  turn the overlay root off again, to update (reboot, update, --read-only-root)
  --system         apply only the system settings (console, clock, Wi-Fi, metrics directory)
EOF
}

DRY_RUN=0
FORCE=0
MODE=install
PURGE=0
ROOT_MODE=""
VERSION=""
PIP_SOURCE=$SOURCE
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --force) FORCE=1 ;;
    --rollback) MODE=rollback ;;
    --uninstall) MODE=uninstall ;;
    --purge) PURGE=1 ;;
    --without-pi-archive) WITHOUT_PI_ARCHIVE=1 ;;
    --read-only-root) ROOT_MODE=read-only ;;
    --writable-root) ROOT_MODE=writable ;;
    --system) MODE=system ;;
    --version)
      VERSION=${2:?--version needs a value}
      shift
      ;;
    --source)
      PIP_SOURCE=${2:?--source needs a path}
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "install.sh: unknown option $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

CHANGED_BOOT=0

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}
# The path of a system file, under BOOTH_ROOT when testing.
at() { printf '%s%s' "$ROOT" "$1"; }

# Runs a system command; prints it instead under --dry-run or BOOTH_ROOT.
run() {
  local shown="" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=,@+%-]+$ ]]; then
      shown+=" $arg"
    else
      shown+=" $(printf '%q' "$arg")"
    fi
  done
  if [ "$DRY_RUN" = 1 ]; then
    printf 'would run:%s\n' "$shown"
  elif [ -n "$ROOT" ]; then
    printf 'skipped (BOOTH_ROOT):%s\n' "$shown"
  else
    printf '+%s\n' "$shown"
    "$@"
  fi
}

# File actions act under BOOTH_ROOT, and only print under --dry-run.
make_dir() { # PATH MODE OWNER:GROUP
  if [ -d "$(at "$1")" ]; then
    if [ "$DRY_RUN" = 1 ]; then
      printf 'would set %s to mode %s\n' "$1" "$2"
    else
      chmod "$2" "$(at "$1")"
    fi
  elif [ "$DRY_RUN" = 1 ]; then
    printf 'would create directory %s (mode %s, %s)\n' "$1" "$2" "$3"
  else
    printf '+ mkdir %s\n' "$1"
    mkdir -p "$(at "$1")"
    chmod "$2" "$(at "$1")"
  fi
  run chown "$3" "$1"
}

# Replaces FILE with the text on stdin when it differs (an existing file keeps its mode);
# shows the difference. Returns 1 when nothing changed.
update_file() { # PATH MODE
  local path target tmp
  path=$1
  target=$(at "$path")
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    return 1
  fi
  if [ "$DRY_RUN" = 1 ]; then
    if [ -f "$target" ]; then
      printf 'would change %s:\n' "$path"
      diff -u "$target" "$tmp" | tail -n +3 || true
    else
      printf 'would create %s (mode %s)\n' "$path" "$2"
    fi
    rm -f "$tmp"
    return 0
  fi
  printf '+ write %s\n' "$path"
  mkdir -p "$(dirname "$target")"
  # Written beside the target and renamed over it, so a power cut leaves the old file or
  # the new one, never half of one (this matters for config.txt).
  local next
  next=$(mktemp "$target.booth.XXXXXX")
  cat "$tmp" >"$next"
  rm -f "$tmp"
  if [ -f "$target" ]; then
    chmod --reference="$target" "$next" 2>/dev/null || true
  else
    chmod "$2" "$next" 2>/dev/null || true
  fi
  mv -f "$next" "$target"
}

remove() { # PATH...
  local path
  for path in "$@"; do
    if [ -e "$(at "$path")" ] || [ -L "$(at "$path")" ]; then
      if [ "$DRY_RUN" = 1 ]; then
        printf 'would remove %s\n' "$path"
      else
        printf '+ rm -rf %s\n' "$path"
        rm -rf "$(at "$path")"
      fi
    fi
  done
}

link() { # TARGET LINK: points LINK at TARGET atomically
  local current
  current=$(readlink "$(at "$2")" 2>/dev/null || true)
  [ "$current" = "$1" ] && return 0
  if [ "$DRY_RUN" = 1 ]; then
    printf 'would link %s -> %s\n' "$2" "$1"
    return 0
  fi
  printf '+ ln -s %s %s\n' "$1" "$2"
  mkdir -p "$(dirname "$(at "$2")")"
  ln -sfn "$1" "$(at "$2").new"
  mv -fT "$(at "$2").new" "$(at "$2")"
}

# --- checks ----------------------------------------------------------------------------

require_root() {
  if [ "$DRY_RUN" = 0 ] && [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    die "run it as root: sudo $0 (add --dry-run to only see what it would do)"
  fi
}

is_pi() { grep -q "Raspberry Pi" "$(at /proc/device-tree/model)" 2>/dev/null; }

preflight() {
  if ! is_pi; then
    if [ "$DRY_RUN" = 1 ]; then
      say "Not a Raspberry Pi: showing what would be done anyway."
    elif [ "$FORCE" = 1 ]; then
      say "Not a Raspberry Pi: going on because of --force (simulated devices only)."
    else
      die "this is not a Raspberry Pi ($(at /proc/device-tree/model) does not say so). A booth needs a Pi 4 or 5 with Raspberry Pi OS Bookworm. Use --dry-run to see what would be done, or --force to install anyway."
    fi
  fi
  local codename=""
  if [ -r "$(at /etc/os-release)" ]; then
    codename=$(sed -n 's/^VERSION_CODENAME=//p' "$(at /etc/os-release)")
  fi
  if [ "$codename" != bookworm ]; then
    say "Warning: made for Raspberry Pi OS Bookworm; this is '${codename:-unknown}'."
  fi
}

release_version() {
  if [ -n "$VERSION" ]; then
    printf '%s' "$VERSION"
  else
    sed -n 's/^version = "\(.*\)"$/\1/p' "$SOURCE/pyproject.toml" | head -n 1
  fi
}

# --- install steps -----------------------------------------------------------------------

install_packages() {
  local missing=() p wanted=("${PI_ARCHIVE_PACKAGES[@]}" "${APT_PACKAGES[@]}")
  if [ "$WITHOUT_PI_ARCHIVE" = 1 ]; then
    say "Skipping the Raspberry Pi archive packages (--without-pi-archive): ${PI_ARCHIVE_PACKAGES[*]}"
    wanted=("${APT_PACKAGES[@]}")
  fi
  for p in "${wanted[@]}"; do
    if [ -n "$ROOT" ] || ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all there."
    return
  fi
  say "Debian packages: ${missing[*]}"
  run apt-get update -q
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_user() {
  local group
  for group in "${GROUPS_NEEDED[@]}"; do
    getent group "$group" >/dev/null || run groupadd --system "$group"
  done
  if ! getent passwd "$USER_NAME" >/dev/null; then
    say "User $USER_NAME"
    run useradd --system --user-group --home-dir "$VAR" --no-create-home \
      --shell /usr/sbin/nologin --comment "Video interview booth" "$USER_NAME"
  fi
  local have add=()
  have=" $(id -nG "$USER_NAME" 2>/dev/null || true) "
  for group in "${GROUPS_NEEDED[@]}"; do
    [[ "$have" == *" $group "* ]] || add+=("$group")
  done
  if [ ${#add[@]} -gt 0 ]; then
    run usermod --append --groups "$(
      IFS=,
      echo "${add[*]}"
    )" "$USER_NAME"
  fi
}

install_directories() {
  say "Directories"
  # Settings: readable by the booth, writable by root only.
  make_dir "$ETC" 0750 "root:$USER_NAME"
  if [ ! -e "$(at "$ETC/booth.toml")" ]; then
    update_file "$ETC/booth.toml" 0640 <"$SOURCE/config/booth.example.toml" || true
  fi
  run chown "root:$USER_NAME" "$ETC/booth.toml"
  # The upload token: the booth's secret, readable by the booth user alone.
  if [ ! -e "$(at "$TOKEN")" ]; then
    update_file "$TOKEN" 0600 </dev/null || true
    say "Put the upload token in $TOKEN (one line)."
  elif [ "$DRY_RUN" = 1 ]; then
    printf 'would set %s to mode 0600\n' "$TOKEN"
  else
    chmod 0600 "$(at "$TOKEN")"
  fi
  run chown "$USER_NAME:$USER_NAME" "$TOKEN"
  # Interviews, takes and state: the booth's own and nobody else's (0700, as the booth makes
  # its own folders); the units' StateDirectoryMode= says the same, or systemd would log at
  # every start that the folders' mode differs.
  make_dir "$VAR" 0700 "$USER_NAME:$USER_NAME"
  local sub
  for sub in interviews spool state; do
    make_dir "$VAR/$sub" 0700 "$USER_NAME:$USER_NAME"
  done
  make_dir "$OPT" 0755 root:root
  make_dir "$OPT/releases" 0755 root:root
}

install_release() {
  local version release
  version=$(release_version)
  [ -n "$version" ] || die "no version: pass --version V"
  release=$OPT/releases/$version
  if [ -f "$(at "$release/.installed")" ]; then
    say "Release $version: already installed."
  else
    say "Release $version"
    # A release without its marker was interrupted: start it again from nothing.
    remove "$release"
    run python3 -m venv --system-site-packages "$release"
    install_python_packages "$release"
    if [ "$DRY_RUN" = 1 ]; then
      printf 'would mark %s as installed\n' "$release"
    else
      mkdir -p "$(at "$release")"
      date -u +%Y-%m-%dT%H:%M:%SZ >"$(at "$release/.installed")"
    fi
  fi
  switch_to "$release"
  link "$OPT/current/bin/booth" "$BIN_LINK"
}

# >>> reproducible installs
# The version of Python distribution NAME that apt installed (its metadata directory in
# /usr/lib/python3/dist-packages), or nothing.
apt_python_version() { # NAME
  local meta version
  for meta in "$(at "$APT_SITE")/${1//-/_}"-*.{dist-info,egg-info}; do
    [ -d "$meta" ] || continue
    version=${meta##*/}
    version=${version#"${1//-/_}"-}
    version=${version%.*-info}
    printf '%s' "${version%%-py*}"
    return 0
  done
  return 1
}

# deploy/constraints.txt with the pins of the packages apt installed replaced by apt's versions.
release_constraints() {
  local line name entry version
  while IFS= read -r line || [ -n "$line" ]; do
    name=${line%%==*}
    for entry in "${APT_PYTHON[@]}"; do
      if [ "$line" != "$name" ] && [ "$name" = "${entry%%:*}" ] &&
        version=$(apt_python_version "$name"); then
        line="$name==$version  # from apt (${entry#*:}), not pip"
      fi
    done
    printf '%s\n' "$line"
  done <"$CONSTRAINTS"
}

# pip installs the release with every version pinned (also in its build environments, through
# PIP_CONSTRAINT); the release keeps the constraints it was installed with.
install_python_packages() { # RELEASE
  local release=$1 entry name version shadow=()
  [ -f "$CONSTRAINTS" ] || die "no $CONSTRAINTS: every release is installed with its pins"
  release_constraints | update_file "$release/constraints.txt" 0644 || true
  for entry in "${APT_PYTHON[@]}"; do
    name=${entry%%:*}
    if version=$(apt_python_version "$name"); then
      say "Python package $name $version: from apt (${entry#*:}), shared with the system"
    fi
  done
  # pygame first, from source against the system SDL (KMSDRM), so booth's own install keeps it.
  run env PIP_CONSTRAINT="$release/constraints.txt" \
    "$release/bin/pip" install --quiet --no-binary pygame "$PYGAME_REQUIREMENT"
  run env PIP_CONSTRAINT="$release/constraints.txt" "$release/bin/pip" install --quiet "$PIP_SOURCE"
  # No second copy of an apt package in the venv: picamera2 would import the venv's.
  for entry in "${APT_PYTHON[@]}"; do
    name=${entry%%:*}
    if apt_python_version "$name" >/dev/null &&
      compgen -G "$(at "$release")/lib/python3*/site-packages/${name//-/_}-*.dist-info" >/dev/null; then
      shadow+=("$name")
    fi
  done
  if [ ${#shadow[@]} -gt 0 ]; then
    die "pip installed its own ${shadow[*]} in $release over apt's; picamera2 and booth must share one. Check $release/constraints.txt."
  fi
}
# <<< reproducible installs

# Points `current` at RELEASE, remembers the one before as `previous`, drops older ones.
switch_to() {
  local release=$1 current keep name
  current=$(readlink "$(at "$OPT/current")" 2>/dev/null || true)
  if [ "$current" = "$release" ]; then
    return 0
  fi
  if [ -n "$current" ]; then
    link "$current" "$OPT/previous"
  fi
  link "$release" "$OPT/current"
  keep=" $release ${current:-} "
  for name in "$(at "$OPT/releases")"/*; do
    [ -d "$name" ] || continue
    name=$OPT/releases/${name##*/}
    [[ "$keep" == *" $name "* ]] || remove "$name"
  done
}

# config.txt: the fragment between markers, replacing an earlier one; nothing else touched.
boot_config_file() {
  if [ -f "$(at /boot/firmware/config.txt)" ]; then
    printf '/boot/firmware/config.txt'
  elif [ -f "$(at /boot/config.txt)" ]; then
    printf '/boot/config.txt'
  fi
}

without_block() { # FILE: its text without the booth block and trailing blank lines
  awk -v b="$BLOCK_BEGIN" -v e="$BLOCK_END" '
    $0 == b { skip = 1; next }
    $0 == e { skip = 0; next }
    !skip { lines[++n] = $0 }
    END { while (n > 0 && lines[n] == "") n--; for (i = 1; i <= n; i++) print lines[i] }
  ' "$1"
}

edit_cmdline() { # FILE add|remove
  local file=$1 mode=$2 tokens=() out=() t s key found
  read -r -a tokens <"$(at "$file")" || true
  for t in "${tokens[@]}"; do
    key=${t%%=*}
    found=0
    for s in "${CMDLINE_SETTINGS[@]}"; do
      if [ "$key" = "${s%%=*}" ]; then
        found=1
        [ "$mode" = remove ] && [ "$t" != "$s" ] && out+=("$t")
      fi
    done
    [ "$found" = 1 ] || out+=("$t")
  done
  if [ "$mode" = add ]; then
    for s in "${CMDLINE_SETTINGS[@]}"; do
      [ "$SCREEN" = panel ] && [[ " ${HOTPLUG_SETTINGS[*]} " == *" $s "* ]] && continue
      out+=("$s")
    done
  fi
  printf '%s\n' "${out[*]}" | update_file "$file" 0755
}

# The booth's screen as `booth devices` chooses it (the kiosk, its unit and `booth doctor` ask
# the same module): "panel" when it is a DSI/DPI panel, else "hdmi". BOOTH_DEVICES names the
# booth command (tests); by default the installed release's. No answer (no release, no screen
# seen yet): "hdmi", whose forced hotplug no longer hides a panel from the kiosk.
screen_kind() {
  local booth=${BOOTH_DEVICES:-$(at "$OPT/current/bin/booth")} config args=() connector
  [ -x "$booth" ] || { printf 'hdmi'; return 0; }
  config=$(at "$ETC/booth.toml")
  [ -f "$config" ] && args+=(--config "$config")
  connector=$("$booth" devices --json --root "${ROOT:-/}" "${args[@]}" 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["display"]["connector"] or "")' \
      2>/dev/null) || connector=""
  case "$connector" in
    DSI-* | DPI-*) printf 'panel' ;;
    *) printf 'hdmi' ;;
  esac
}

install_boot_config() {
  local config cmdline
  config=$(boot_config_file)
  if [ -z "$config" ]; then
    say "Boot configuration: no config.txt under /boot/firmware or /boot; skipped."
    return
  fi
  say "Boot configuration: $config"
  SCREEN=$(screen_kind)
  if [ "$SCREEN" = panel ]; then
    say "The screen is a DSI/DPI panel (booth devices): HDMI hotplug is not forced."
  fi
  cmdline=$(dirname "$config")/cmdline.txt
  if {
    without_block "$(at "$config")"
    printf '\n%s\n' "$BLOCK_BEGIN"
    # The fragment without its header paragraph, which speaks about this script; with a panel,
    # without the forced HDMI hotplug.
    if [ "$SCREEN" = panel ]; then
      sed '1,/^$/d; /^hdmi_force_hotplug=1$/d' "$SOURCE/hardware/config.txt"
    else
      sed '1,/^$/d' "$SOURCE/hardware/config.txt"
    fi
    printf '%s\n' "$BLOCK_END"
  } | update_file "$config" 0755; then
    CHANGED_BOOT=1
  fi
  if [ -f "$(at "$cmdline")" ] && edit_cmdline "$cmdline" add; then
    CHANGED_BOOT=1
  fi
}

install_units() {
  say "systemd units"
  local unit changed=0
  for unit in "${UNITS[@]}" "$SCRATCH_MOUNT"; do
    if update_file "$UNIT_DIR/$unit" 0644 <"$SOURCE/deploy/systemd/$unit"; then
      changed=1
    fi
  done
  if [ "$changed" = 1 ]; then
    run systemctl daemon-reload
  fi
  run systemctl enable --now "$SCRATCH_MOUNT"
  run systemctl enable "${UNITS[@]}"
  # The kiosk owns the console: no login prompt on tty1 behind it.
  run systemctl disable getty@tty1.service
  # Restarts only what runs, so a booth installed before its first boot starts then.
  run systemctl try-restart "${UNITS[@]}"
}

# --- fleet: metrics, a console nobody can leave, time, Wi-Fi, read-only root -------------
# Each setting is a file of its own or a mask, so --uninstall removes exactly what was added.
# README "Monitoring a fleet" and "Locking a booth down"; deploy/power-cuts.md.
LOCKDOWN_SYSCTL=/etc/sysctl.d/90-booth-lockdown.conf
LOCKDOWN_SYSTEMD=/etc/systemd/system.conf.d/90-booth-lockdown.conf
LOCKDOWN_LOGIND=/etc/systemd/logind.conf.d/90-booth-lockdown.conf
# Ctrl-Alt-Del (a reboot), and a login prompt on any VT: tty1 behind the kiosk, autovt on others.
MASKED_UNITS=(ctrl-alt-del.target getty@.service autovt@.service)
TIME_WAIT_SYNC=systemd-time-wait-sync.service
METRICS_TMPFILES=/etc/tmpfiles.d/booth-metrics.conf
TEXTFILE_DIR=/var/lib/prometheus/node-exporter
NM_CONNECTIONS=/etc/NetworkManager/system-connections
NM_WIFI_CONF=/etc/NetworkManager/conf.d/90-booth-wifi-powersave.conf
JOURNAL_CONF=/etc/systemd/journald.conf.d/90-booth-volatile.conf
# Bookworm's overlay makes every mounted file system read-only unless recurse=0
# (raspberrypi/bookworm-feedback#137): /var/lib/booth and /boot/firmware stay writable.
OVERLAY_TOKEN=overlayroot=tmpfs:recurse=0

install_lockdown() {
  say "Console lockdown: no SysRq, no Ctrl-Alt-Del, no login prompt on any VT"
  local changed=0 unit
  update_file "$LOCKDOWN_SYSCTL" 0644 <<'CONF' && changed=1
# deploy/install.sh (booth): no magic SysRq keys, so no key combination on a keyboard
# plugged into the booth reboots it, kills the kiosk or prints kernel state on the screen.
kernel.sysrq = 0
CONF
  update_file "$LOCKDOWN_SYSTEMD" 0644 <<'CONF' && changed=1
# deploy/install.sh (booth): ctrl-alt-del.target is masked; without this line, Ctrl-Alt-Del
# pressed seven times within two seconds still forces a reboot.
[Manager]
CtrlAltDelBurstAction=none
CONF
  update_file "$LOCKDOWN_LOGIND" 0644 <<'CONF' && changed=1
# deploy/install.sh (booth): logind starts no login prompt on a VT switched to (Ctrl-Alt-F2...),
# and keeps none reserved; the kiosk owns tty1.
[Login]
NAutoVTs=0
ReserveVT=0
CONF
  for unit in "${MASKED_UNITS[@]}"; do
    mask_unit "$unit" && changed=1
  done
  if [ "$changed" = 1 ]; then
    # Applied now on a running system; in an image being built (SYSTEMD_OFFLINE=1, as
    # `make arm64-check` builds one) it applies at the next boot.
    [ "${SYSTEMD_OFFLINE:-0}" = 1 ] || run sysctl -p "$LOCKDOWN_SYSCTL"
    CHANGED_BOOT=1 # logind and the manager read theirs at boot
  fi
}

# No swap on the card: the kernel may write any page of RAM to swap, a running session's takes
# in the RAM scratch among them, and there sealing never reaches them (`booth doctor` fails a
# booth with recipients that swaps to a disk). Raspberry Pi OS Bookworm swaps to /var/swap
# through dphys-swapfile; masked, it stays off across updates of its package. zram (swap in
# compressed RAM) is fine, and is left alone.
SWAPFILE_UNIT=dphys-swapfile.service
SWAPFILE=/var/swap

install_swap_off() {
  if [ ! -e "$(at /etc/dphys-swapfile)" ] && [ ! -e "$(at /usr/sbin/dphys-swapfile)" ] &&
    [ ! -e "$(at "$UNIT_DIR/$SWAPFILE_UNIT")" ] && [ ! -e "$(at "$SWAPFILE")" ]; then
    say "Swap: no swap file on the card (no dphys-swapfile)."
    return
  fi
  say "Swap: the swap file on the card off for good ($SWAPFILE_UNIT masked, $SWAPFILE removed)"
  mask_unit "$SWAPFILE_UNIT" || true
  if grep -qs "^$SWAPFILE " "$(at /proc/swaps)"; then
    run swapoff "$SWAPFILE"
  fi
  remove "$SWAPFILE"
}

remove_swap_off() {
  if [ "$(readlink "$(at "$UNIT_DIR/$SWAPFILE_UNIT")" 2>/dev/null)" = /dev/null ]; then
    unmask_unit "$SWAPFILE_UNIT"
    say "Swap: $SWAPFILE_UNIT unmasked; it makes its swap file again at the next boot."
  fi
}

# What `systemctl mask` does, as a file the tests can see: UNIT -> /dev/null in /etc.
mask_unit() { # UNIT; returns 1 when it was already masked (or is not ours to mask)
  local path=$UNIT_DIR/$1
  if [ "$(readlink "$(at "$path")" 2>/dev/null)" = /dev/null ]; then
    return 1
  fi
  if [ -e "$(at "$path")" ]; then
    say "Not masking $1: $path is a file of its own (remove it, then run this again)."
    return 1
  fi
  link /dev/null "$path"
}

unmask_unit() { # UNIT: only a mask (a link to /dev/null) is removed
  local path=$UNIT_DIR/$1
  if [ "$(readlink "$(at "$path")" 2>/dev/null)" = /dev/null ]; then
    remove "$path"
  fi
}

remove_lockdown() {
  local unit
  for unit in "${MASKED_UNITS[@]}"; do
    unmask_unit "$unit"
  done
  remove "$LOCKDOWN_SYSCTL" "$LOCKDOWN_SYSTEMD" "$LOCKDOWN_LOGIND"
  # Back to the distribution's sysctl values (Debian: kernel.sysrq = 438).
  [ "${SYSTEMD_OFFLINE:-0}" = 1 ] || run sysctl --system
}

# Uploads wait for NTP: booth-sync.service is ordered after time-sync.target, which waits for
# the clock only while systemd-time-wait-sync is enabled.
install_time_sync() {
  say "Clock: uploads start once NTP has set the clock ($TIME_WAIT_SYNC)"
  run systemctl enable "$TIME_WAIT_SYNC"
}

# booth-metrics.service writes booth.prom as the booth user into node_exporter's directory.
install_metrics_dir() {
  say "Metrics: $TEXTFILE_DIR writable for the booth user"
  if update_file "$METRICS_TMPFILES" 0644 <<CONF; then
# deploy/install.sh (booth): booth-metrics.service writes booth.prom, as the booth user, into
# node_exporter's textfile directory (Debian's prometheus-node-exporter reads it from there).
d $TEXTFILE_DIR 0755 root root -
a+ $TEXTFILE_DIR - - - - u:$USER_NAME:rwx
CONF
    run systemd-tmpfiles --create "$METRICS_TMPFILES"
  fi
}

remove_metrics_dir() {
  remove "$METRICS_TMPFILES" "$TEXTFILE_DIR/booth.prom"
}

# A booth that uses Wi-Fi (a NetworkManager connection of type wifi, as Raspberry Pi Imager
# sets up) keeps it awake: with power saving, a Pi's Wi-Fi answers in 1-2 s at the 99th
# percentile and idle connections drop (raspberrypi/linux#7533).
uses_wifi() {
  grep -qsE '^type=(wifi|802-11-wireless)$' "$(at "$NM_CONNECTIONS")"/* 2>/dev/null
}

install_wifi_power() {
  if ! uses_wifi; then
    say "Wi-Fi: not used (no NetworkManager Wi-Fi connection); power saving left alone."
    return
  fi
  say "Wi-Fi: power saving off"
  if update_file "$NM_WIFI_CONF" 0644 <<'CONF'; then
# deploy/install.sh (booth): Wi-Fi power saving off (2 = disable). With it, uploads stall and
# SSH sessions hang (raspberrypi/linux#7533). A wired connection is better still (README).
[connection]
wifi.powersave = 2
CONF
    run nmcli general reload conf
    say "Wi-Fi power saving is off from the next connection (or reboot)."
  fi
}

# --- read-only root --------------------------------------------------------------------
overlay_active() { # the running system booted with the overlay root
  local cmdline
  cmdline=" $(cat "$(at /proc/cmdline)" 2>/dev/null || true) "
  [[ "$cmdline" == *" overlayroot=tmpfs"* ]]
}

own_data_partition() { # /var/lib/booth is a file system of its own in /etc/fstab
  awk -v dir="$VAR" '$1 !~ /^#/ && $2 == dir { found = 1 } END { exit !found }' \
    "$(at /etc/fstab)" 2>/dev/null
}

set_overlay_token() { # CMDLINE on|off: one overlayroot= token, or none
  local file=$1 tokens=() out=() t
  read -r -a tokens <"$(at "$file")" || true
  for t in "${tokens[@]}"; do
    [[ "$t" == overlayroot=* ]] || out+=("$t")
  done
  if [ "$2" = on ]; then
    out=("$OVERLAY_TOKEN" "${out[@]}")
  fi
  printf '%s\n' "${out[*]}" | update_file "$file" 0755
}

install_read_only_root() {
  say "Read-only root: the overlay, with $VAR on its own partition"
  # The journal in memory, bounded: the overlay's upper layer is RAM too.
  update_file "$JOURNAL_CONF" 0644 <<'CONF' || true
# deploy/install.sh --read-only-root (booth): the journal lives in memory, at most 32 MB, so the
# overlay's memory is not filled by logs. It starts empty after every boot.
[Journal]
Storage=volatile
RuntimeMaxUse=32M
CONF
  run raspi-config nonint do_overlayfs 0
  local cmdline
  cmdline=$(dirname "$(boot_config_file)")/cmdline.txt
  if [ -f "$(at "$cmdline")" ] && set_overlay_token "$cmdline" on; then
    CHANGED_BOOT=1
  fi
  say "After the reboot, check it took: findmnt / shows overlay (on a Pi 5 it can silently fail)."
}

remove_read_only_root() {
  say "Read-only root: off"
  run raspi-config nonint do_overlayfs 1
  local config cmdline
  config=$(boot_config_file)
  if [ -n "$config" ]; then
    cmdline=$(dirname "$config")/cmdline.txt
    if [ -f "$(at "$cmdline")" ] && set_overlay_token "$cmdline" off; then
      CHANGED_BOOT=1
    fi
  fi
  remove "$JOURNAL_CONF"
}

# Checked before anything is changed.
read_only_root_possible() {
  [ "$ROOT_MODE" = read-only ] || return 0
  overlay_active && return 0
  if ! own_data_partition; then
    die "--read-only-root needs $VAR on a partition of its own, listed in /etc/fstab, so that takes survive a reboot (the overlay keeps everything else in memory). See deploy/power-cuts.md for how to add one; nothing was changed."
  fi
  if [ "$DRY_RUN" = 0 ] && [ -z "$ROOT" ] && ! command -v raspi-config >/dev/null; then
    die "--read-only-root uses raspi-config (Raspberry Pi OS), which is not installed here; nothing was changed."
  fi
}

# Changes made under the overlay vanish at the next boot: refuse them, saying how to update.
refuse_under_overlay() {
  overlay_active || return 0
  local steps="sudo deploy/install.sh --writable-root && sudo reboot; then update; then sudo deploy/install.sh --read-only-root && sudo reboot"
  if [ "$MODE" = system ] || { [ "$ROOT_MODE" = read-only ] && [ "$MODE" = install ]; }; then
    say "The root is read-only (overlay): nothing changed. To change this booth: $steps"
    exit 0
  fi
  die "the root file system is read-only (overlay), so changes would vanish at the next boot. To update: $steps"
}

system_settings() {
  install_lockdown
  install_swap_off
  install_time_sync
  install_metrics_dir
  install_wifi_power
  if [ "$ROOT_MODE" = read-only ]; then
    install_read_only_root
  fi
}

remove_system_settings() {
  remove_lockdown
  remove_swap_off
  run systemctl disable "$TIME_WAIT_SYNC"
  remove_metrics_dir
  remove "$NM_WIFI_CONF"
  if overlay_active || [ -e "$(at "$JOURNAL_CONF")" ]; then
    remove_read_only_root
  fi
}

do_install() {
  preflight
  install_packages
  install_user
  install_directories
  install_release
  install_boot_config
  install_units
  system_settings
  if [ "$CHANGED_BOOT" = 1 ]; then
    say "Boot configuration changed: reboot to apply it (sudo reboot)."
  fi
  if [ "$DRY_RUN" = 1 ]; then
    say "Dry run: nothing was changed."
  else
    say "Done. Check the booth with: booth doctor"
  fi
}

do_rollback() {
  local current previous
  current=$(readlink "$(at "$OPT/current")" 2>/dev/null || true)
  previous=$(readlink "$(at "$OPT/previous")" 2>/dev/null || true)
  if [ -z "$previous" ] || [ ! -f "$(at "$previous/.installed")" ]; then
    die "there is no previous release to go back to (in $OPT/releases)."
  fi
  say "Rolling back from ${current##*/} to ${previous##*/}"
  link "$previous" "$OPT/current"
  link "$current" "$OPT/previous"
  run systemctl try-restart "${UNITS[@]}"
}

do_uninstall() {
  say "Removing the booth software"
  remove_system_settings
  run systemctl disable --now "${UNITS[@]}"
  run systemctl disable --now "$SCRATCH_MOUNT"
  local unit
  for unit in "${UNITS[@]}" "$SCRATCH_MOUNT"; do
    remove "$UNIT_DIR/$unit"
  done
  run systemctl daemon-reload
  run systemctl enable getty@tty1.service
  remove "$BIN_LINK" "$OPT"
  local config
  config=$(boot_config_file)
  if [ -n "$config" ]; then
    without_block "$(at "$config")" | update_file "$config" 0755 || true
    local cmdline
    cmdline=$(dirname "$config")/cmdline.txt
    if [ -f "$(at "$cmdline")" ]; then
      edit_cmdline "$cmdline" remove || true
    fi
  fi
  if [ "$PURGE" = 0 ]; then
    say "Kept $ETC (settings, token) and $VAR (interviews, takes): --uninstall --purge removes them."
    return
  fi
  if [ -n "$(ls -A "$(at "$VAR/spool")" 2>/dev/null)" ] && [ "$FORCE" = 0 ]; then
    die "$VAR/spool still holds sessions that may not be uploaded yet. Upload them (booth sync --once) or add --force to delete them."
  fi
  remove "$ETC" "$VAR"
  if getent passwd "$USER_NAME" >/dev/null; then
    run userdel "$USER_NAME"
  fi
}

do_system() {
  preflight
  system_settings
  if [ "$CHANGED_BOOT" = 1 ]; then
    say "Boot configuration changed: reboot to apply it (sudo reboot)."
  fi
}

do_writable_root() {
  remove_read_only_root
  if [ "$CHANGED_BOOT" = 1 ]; then
    say "Boot configuration changed: reboot to apply it (sudo reboot)."
  fi
}

require_root
if [ "$ROOT_MODE" = writable ]; then
  do_writable_root
  exit 0
fi
refuse_under_overlay
read_only_root_possible
case "$MODE" in
  install) do_install ;;
  system) do_system ;;
  rollback) do_rollback ;;
  uninstall) do_uninstall ;;
esac
