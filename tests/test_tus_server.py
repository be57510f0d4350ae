"""The local tus server of make demo and the upload tests (tools/tus_server.py)."""

import pytest

from tools import tus_server
from tools.tus_server import LocalServerError, LocalTusServer

pytestmark = pytest.mark.external


def test_missing_npm_packages_name_make_venv_and_install_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tus_server, "SERVER_DIR", tmp_path)
    with pytest.raises(LocalServerError, match="make venv"):
        LocalTusServer(tmp_path / "store").start()
    assert tus_server.main(["--dir", str(tmp_path / "store")]) == 2
    assert "make venv" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_server_starts_on_a_free_port_and_stops(tmp_path):
    with LocalTusServer(tmp_path / "store") as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        process = server.process
    assert process is not None and process.poll() is not None
