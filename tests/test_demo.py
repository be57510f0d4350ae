"""`booth demo --upload-url` and `make demo`'s launcher (tools/demo.py), without a window."""

import threading
import time
import urllib.error
import urllib.request

import pytest
from sync_support import expected_files, finished_session, start_server

from booth.cli.main import main
from tools import demo, tus_server


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def answers(url: str) -> bool:
    """Whether a tus server answers OPTIONS at `url`."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"), timeout=2).close()
    except (urllib.error.URLError, OSError):
        return False
    return True


def whole_uploads(server) -> int:
    """How many uploads the server holds whole (0 while it is writing an upload's info)."""
    try:
        uploads = server.uploads().values()
    except ValueError:
        return 0
    return sum(len(u["bytes"]) == u["size"] for u in uploads)


def test_demo_help_names_the_upload_url(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["demo", "--help"])
    assert exit.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--upload-url URL" in out and "make demo" in out


def test_an_upload_url_that_is_not_http_is_refused(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["demo", "--upload-url", "ftp://example.org/files/"])
    assert exit.value.code == 2
    assert "not an http(s) URL" in capsys.readouterr().err


def test_without_a_display_the_demo_points_to_simulate(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["demo"]) == 2
    assert "booth simulate --headless" in capsys.readouterr().err


@pytest.mark.external
@pytest.mark.slow
def test_the_demo_uploads_to_the_url_while_its_window_is_open(
    tmp_path, small_booth, monkeypatch, capsys
):
    """booth demo with SDL's dummy display: the sync agent runs beside the (stand-in) window
    loop and sends the finished sessions of OUT/spool to the server, and stops with it."""
    import booth.kiosk.window
    from booth.cli import demo_cmd

    out = tmp_path / "out"
    session = finished_session(out / "spool")
    server = start_server(tmp_path / "server")
    seen = {}

    def window(kiosk, screen, allow_window_close, step=None):
        seen["uploaded"] = wait_for(lambda: whole_uploads(server) == 3)
        seen["sync"] = [t for t in threading.enumerate() if t.name == "sync"]

    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(demo_cmd, "IDLE_SECONDS", 0.0)
    monkeypatch.setattr(demo_cmd, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(booth.kiosk.window, "run", window)
    try:
        args = ["demo", "--config", str(small_booth), "--out", str(out)]
        assert main([*args, "--upload-url", server.url]) == 0
        assert seen["uploaded"] and len(seen["sync"]) == 1
        assert not seen["sync"][0].is_alive()
        uploads = {
            (u["metadata"]["session"], u["metadata"]["filename"]): u["bytes"]
            for u in server.uploads().values()
        }
        assert uploads == expected_files(session)
        assert f"uploads go to {server.url}" in capsys.readouterr().out
    finally:
        server.stop()


def test_make_demo_runs_booth_demo_with_a_local_server_and_stops_it(tmp_path):
    calls = []

    def booth(argv):
        calls.append((argv, answers(argv[-1])))
        return 0

    assert demo.main(["--config", "config/demo.toml", "--out", str(tmp_path)], booth) == 0
    [(argv, answered)] = calls
    assert argv[:-2] == ["demo", "--config", "config/demo.toml", "--out", str(tmp_path)]
    assert argv[-2] == "--upload-url" and answered
    assert (tmp_path / "server").is_dir()
    assert not answers(argv[-1]), "the server still runs after the demo"


def test_make_demo_without_the_npm_packages_names_make_venv(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tus_server, "SERVER_DIR", tmp_path / "tus")
    called = []
    assert demo.main(["--out", str(tmp_path)], called.append) == 2
    assert not called and "make venv" in capsys.readouterr().err
