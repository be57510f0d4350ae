"""The kiosk never dies of content (issue 11.3): an error inside a session ends the session
early with its kept takes safe, shows out-of-order with the reason in `booth status`, and puts
the traceback in the journal; the kiosk runs on."""

from __future__ import annotations

import json
import logging

import pytest
from conftest import EXAMPLE_INTERVIEWS

from booth.cli.status_cmd import gather, render
from booth.config.settings import load_settings
from booth.session.flow import SCREEN_HANDLERS
from booth.sim.booth import build_sim_booth
from booth.sim.script import parse_script
from booth.sim.simulate import headless_display, run_script

pytestmark = pytest.mark.slow

UNTIL_THINK = """
press start
type 123456
press confirm
press next
press accept
press next
expect intro
wait 10.4
press next
press next
press next
expect think
press record
wait 3
wait 2
press stop
press keep
expect question
wait 8
press next
"""


def test_an_error_in_a_session_puts_the_booth_out_of_order_and_keeps_the_takes(
    tmp_path, small_booth, monkeypatch, caplog
):
    think = SCREEN_HANDLERS["think"]

    def broken(flow, action, value, out):
        if flow.step.id == "q2":
            raise ValueError("injected fault")
        return think(flow, action, value, out)

    monkeypatch.setitem(SCREEN_HANDLERS, "think", broken)
    caplog.set_level(logging.ERROR)
    settings = load_settings(small_booth)
    out = tmp_path / "out"
    booth = build_sim_booth(settings, EXAMPLE_INTERVIEWS, out, headless_display((320, 240)))
    try:
        outcome = run_script(booth, parse_script(UNTIL_THINK), "until think")
        assert outcome.exit_code == 0, outcome.message
        # Question 2's think screen: pressing record there raises.
        outcome = run_script(
            booth, parse_script("expect think\npress record\nwait 3\nexpect out-of-order\n"), "x"
        )
        assert outcome.exit_code == 0, outcome.message
    finally:
        booth.close()
    (manifest,) = [json.loads(p.read_text()) for p in out.glob("spool/*/manifest.json")]
    assert manifest["status"] == "ended-early"
    assert [t["question_id"] for t in manifest["takes"]] == ["q1"]
    assert "Traceback" in caplog.text and "injected fault" in caplog.text
    state = json.loads((out / "state" / "kiosk.json").read_text())
    assert "ValueError: injected fault" in state["fault"]
    settings_here = load_settings(small_booth)
    object.__setattr__(settings_here.paths, "state", out / "state")
    shown = render(gather(settings_here))
    assert "OUT OF ORDER: the kiosk stopped on the think screen" in shown


def test_a_screen_that_cannot_be_drawn_puts_the_booth_out_of_order(tmp_path, small_booth, caplog):
    settings = load_settings(small_booth)
    booth = build_sim_booth(
        settings, EXAMPLE_INTERVIEWS, tmp_path / "out", headless_display((320, 240))
    )
    try:
        draw = booth.kiosk.renderer.draw

        def broken(surface, view, *args, **kwargs):
            if view.screen == "code":
                raise UnicodeError("a text the font cannot draw")
            return draw(surface, view, *args, **kwargs)

        booth.kiosk.renderer.draw = broken
        outcome = run_script(booth, parse_script("press start\nwait 1\n"), "draw")
        assert outcome.exit_code == 0, outcome.message
        booth.kiosk.render()  # the window's own call
        assert booth.kiosk.flow.screen == "out-of-order"
        assert "UnicodeError: a text the font cannot draw" in booth.kiosk.fault.detail
        outcome = run_script(booth, parse_script("wait 2\nexpect out-of-order\n"), "after")
        assert outcome.exit_code == 0, outcome.message
    finally:
        booth.close()
    assert "Traceback" in caplog.text
