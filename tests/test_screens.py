"""One table says what each screen allows (booth.session.screens); the flow and the ui read it."""

from __future__ import annotations

from booth.session import screens
from booth.session.flow import SCREEN_HANDLERS
from booth.session.screens import RULES, Action, Screen
from booth.session.view import ACTIONS, SCREENS
from booth.ui import input as ui_input
from booth.ui import renderer, widgets


def test_screen_and_action_values_are_the_ids_scripts_and_events_use():
    assert [str(s) for s in SCREENS][:3] == ["idle", "code", "welcome"]
    assert Screen("out-of-order") is Screen.OUT_OF_ORDER
    assert Action("more_time") is Action.MORE_TIME
    assert set(ACTIONS) == {a.value for a in Action}
    assert f"{Screen.END_CONFIRM}" == "end-confirm"


def test_every_screen_has_rules_and_a_handler():
    assert set(RULES) == set(Screen) == set(SCREEN_HANDLERS)


def test_the_rules_are_the_ones_the_booth_had_before_they_were_one_table():
    S = Screen
    assert screens.HELP_SCREENS == set(Screen) - {
        S.RECORDING, S.COUNTDOWN, S.HELP, S.INACTIVE, S.END_CONFIRM, S.CHECK_HELP
    }  # fmt: skip  # out of order has Help since issue 27.5
    assert screens.HELP_BUTTON_SCREENS == screens.HELP_SCREENS - {S.DONE}
    assert screens.LANGUAGE_SCREENS == {
        S.IDLE, S.CODE, S.WELCOME, S.CONSENT, S.CHECK, S.HELP, S.CLOSED, S.OUT_OF_ORDER,
        S.CHECK_HELP,
    }  # fmt: skip
    # Help, "end the interview?" and "something is wrong" wait the long help wait instead
    # (issue 27.1 and 27.8).
    assert screens.INACTIVITY_SCREENS == set(Screen) - {
        S.IDLE, S.CLOSED, S.OUT_OF_ORDER, S.INACTIVE, S.THINK, S.COUNTDOWN, S.RECORDING, S.DONE,
        S.HELP, S.END_CONFIRM, S.CHECK_HELP,
    }  # fmt: skip
    assert screens.WAITING_SCREENS == {S.HELP, S.END_CONFIRM, S.CHECK_HELP}
    assert screens.END_SCREENS == {S.CHECK, S.INTRO, S.PRACTICE, S.QUESTION, S.THINK, S.REVIEW}
    assert screens.PREVIEW_SCREENS == {S.CHECK, S.COUNTDOWN, S.RECORDING, S.CHECK_HELP}
    assert screens.CLIP_SCREENS == {S.INTRO, S.QUESTION, S.REVIEW}
    assert screens.OVERLAYS == {S.HELP, S.INACTIVE, S.END_CONFIRM, S.CHECK_HELP}


def test_the_ui_reads_the_same_table_as_the_flow():
    assert widgets.LANGUAGE_SCREENS is screens.LANGUAGE_SCREENS
    assert widgets.HELP_BUTTON_SCREENS is screens.HELP_BUTTON_SCREENS
    assert widgets.END_SCREENS is screens.END_SCREENS
    assert renderer.PREVIEW_SCREENS is screens.PREVIEW_SCREENS
    assert ui_input.PAUSE_SCREENS is screens.CLIP_SCREENS
    assert all(renderer.shows_preview(s) == RULES[s].preview for s in Screen)
