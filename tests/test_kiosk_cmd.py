"""`booth kiosk` off a Raspberry Pi: a clear refusal, never a traceback."""

from __future__ import annotations

from booth.cli.main import main


def test_kiosk_with_the_sim_backend_points_to_the_demo(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text('[devices]\nbackend = "sim"\n')
    assert main(["kiosk", "--config", str(config)]) == 2
    assert "booth demo" in capsys.readouterr().err


# Without picamera2 (a booth whose camera cannot open) the kiosk waits out of order, naming
# python3-picamera2 in `booth status`: tests/test_kiosk_start.py.
