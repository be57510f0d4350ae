#!/usr/bin/env bash
# Makes the README's screenshots with the simulator: `make screenshots`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shoot() {  # language width height names...
  local lang=$1 width=$2 height=$3
  shift 3
  cat > "$work/$lang.toml" <<TOML
booth_id = "demo"
language = "$lang"
[display]
width = $width
height = $height
[recording]
width = 640
height = 360
TOML
  "$root/.venv/bin/booth" simulate --config "$work/$lang.toml" \
    --interviews "$root/config/interviews" --headless --script "$here/tour.txt" \
    --out "$work/$lang" --start 2026-11-25T10:00+01:00
  for name in "$@"; do
    cp "$work/$lang/screens/$name.png" "$here/$lang-${width}x$height-$name.png"
  done
}

shoot sv 800 480 idle code welcome consent check intro question think countdown \
  recording-warning review end-confirm question-one-take done
shoot en 1920 1080 idle welcome check question recording review question-one-take done
