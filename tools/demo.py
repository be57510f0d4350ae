"""`make demo`: the booth in a window, with a local tus server that receives its takes.

    python -m tools.demo [booth demo options]      (make demo: --config config/demo.toml)

Starts the local tus server (tools/tus_server.py) on a free loopback port, storing uploads in
OUT/server (OUT: the --out given, default demo-out), runs `booth demo --upload-url URL` with
the options given, and stops the server when the window closes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from booth.cli.main import main as booth_main
from tools.tus_server import LocalServerError, LocalTusServer

DEFAULT_OUT = Path("demo-out")  # booth demo's own default


def out_dir(argv: Sequence[str]) -> Path:
    """The --out of booth demo's options (without parsing the rest)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_known_args(list(argv))[0].out


def main(argv: Sequence[str], booth: Callable[[list[str]], int] = booth_main) -> int:
    if any(arg in ("-h", "--help") for arg in argv):
        print(__doc__)
        return booth(["demo", "--help"])
    store = out_dir(argv) / "server"
    try:
        server = LocalTusServer(store).start()
    except LocalServerError as err:
        print(f"make demo: no local upload server: {err}", file=sys.stderr)
        return 2
    print(f"make demo: the local tus server {server.url} keeps the uploads in {store}")
    try:
        return booth(["demo", *argv, "--upload-url", server.url])
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
