"""The `booth` command loads only the module of the subcommand it runs: the services that run
all day (`booth sync`, `booth metrics --watch`, `booth occupied`) and staff's `booth status`
do not carry pygame and PyAV in memory."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from booth.cli.commands import NAMES
from booth.cli.main import build_parser

HEAVY = ("pygame", "av", "picamera2")


def modules_after(tmp_path, *args: str) -> list[str]:
    """The heavy modules imported once `booth ARGS` has run, in a fresh interpreter."""
    (tmp_path / "spool").mkdir()
    config = tmp_path / "booth.toml"
    config.write_text(
        f'[paths]\ninterviews = "{tmp_path}/interviews"\nspool = "{tmp_path}/spool"\n'
        f'state = "{tmp_path}/state"\n[metrics]\ntextfile_dir = "{tmp_path}/textfile"\n',
        encoding="utf-8",
    )
    code = (
        "import contextlib, io, json, sys\n"
        "from booth.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({[*args, '--config', str(config)]!r})\n"
        f"print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    code, loaded = json.loads(out.stdout.splitlines()[-1])
    assert code == 0, out.stderr
    return loaded


@pytest.mark.parametrize("args", [["status"], ["metrics"], ["takes", "list"]], ids=" ".join)
def test_a_subcommand_loads_no_camera_screen_or_video_library(tmp_path, args):
    assert modules_after(tmp_path, *args) == []


def test_the_whole_parser_still_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    listed = capsys.readouterr().out
    assert [n for n in NAMES if not re.search(rf"^    {n}\b", listed, re.M)] == []
    with pytest.raises(SystemExit):
        build_parser().parse_args(["statsu"])
    assert "invalid choice: 'statsu'" in capsys.readouterr().err
