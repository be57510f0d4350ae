"""`booth kiosk` off a Raspberry Pi: a clear refusal, never a traceback."""

from __future__ import annotations

from booth.cli.main import main


def test_kiosk_with_the_sim_backend_points_to_the_demo(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text('[devices]\nbackend = "sim"\n')
    assert main(["kiosk", "--config", str(config)]) == 2
    assert "booth demo" in capsys.readouterr().err


def test_kiosk_without_picamera2_names_the_package_to_install(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text('[devices]\nbackend = "pi"\n[display]\nfullscreen = false\n')
    assert main(["kiosk", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "python3-picamera2" in err and "Traceback" not in err
