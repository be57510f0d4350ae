"""`booth status` on a simulated booth."""

from __future__ import annotations

import json

from conftest import EXAMPLE_INTERVIEWS

from booth.cli.main import main


def test_status_json_shows_the_kiosk_the_interviews_and_the_spool(tmp_path, capsys):
    out = tmp_path / "out"
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "hall-2"\n[recording]\nwidth = 160\nheight = 120\n'
        f'[paths]\ninterviews = "{EXAMPLE_INTERVIEWS}"\nspool = "{out}/spool"\n'
        f'state = "{out}/state"\n'
    )
    script = tmp_path / "s.txt"
    script.write_text("press start\ntype 123456\npress confirm\npress next\npress decline\n")
    assert (
        main(
            [
                "simulate",
                "--config",
                str(config),
                "--headless",
                "--script",
                str(script),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["status", "--config", str(config), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["booth_id"] == "hall-2"
    assert status["kiosk"]["running"] is False  # the simulation has ended
    assert status["kiosk"]["activity"] == "stopped" and status["kiosk"]["screen"] == "done"
    assert [iv["id"] for iv in status["interviews"]] == ["example"]
    assert status["spool"] == {"sessions": 1, "by_status": {"declined": 1}}
    assert status["disk"]["free_bytes"] > 0
    assert status["uploads"]["configured"] is False  # no [sync] url in these settings
    assert main(["status", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert "kiosk: NOT RUNNING" in text and "example" in text and "1 declined" in text
