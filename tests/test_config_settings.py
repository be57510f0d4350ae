"""Booth settings: defaults, the example file, and every kind of mistake staff can make."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from booth.config.errors import ConfigError
from booth.config.hours import OpeningHours, is_open, next_opening, parse_day
from booth.config.settings import Settings, detect_backend, load_settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "booth.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "booth.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return [str(p) for p in caught.value.problems]


def test_defaults_are_used_without_a_file(tmp_path):
    assert load_settings(None) == Settings()
    settings = load_settings(tmp_path / "absent.toml")
    assert settings.source is None
    assert settings.display.width == 800 and settings.display.rotation == 0
    assert settings.timing.inactivity_seconds == 60
    assert settings.paths.spool == Path("/var/lib/booth/spool")
    assert settings.hours.days is None  # always open


def test_example_file_equals_the_built_in_defaults():
    settings = load_settings(EXAMPLE)
    assert settings.source == EXAMPLE
    assert dataclasses.replace(settings, source=None, sync={}) == Settings()
    # [sync] stays a raw table here; the sync agent checks it. Its values are the defaults too.
    from booth.sync.config import sync_settings

    documented = dataclasses.replace(sync_settings(settings), source=None)
    assert documented == dataclasses.replace(sync_settings(Settings()), source=None)


def _field_names(cls: type) -> set[str]:
    names = set()
    for f in dataclasses.fields(cls):
        names.add(f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else None
        if dataclasses.is_dataclass(default):
            names |= _field_names(type(default))
    return names


def test_example_file_shows_every_setting():
    text = EXAMPLE.read_text(encoding="utf-8")
    written = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, re.M))
    written |= {
        part for header in re.findall(r"^\[([a-z_.]+)\]", text, re.M) for part in header.split(".")
    }
    # help_wait_seconds: the flow's timing of [help] wait_minutes.
    missing = _field_names(Settings) - {"source", "days", "help_wait_seconds"} - written
    assert not missing


def test_unknown_key_is_named_with_its_line_and_the_known_keys(tmp_path):
    path = write(tmp_path, "[display]\nwidth = 1024\nrotaton = 90\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:3: display.rotaton: unknown key, did you mean rotation?")
    assert "known keys: width, height, rotation, fullscreen" in problem


def test_unknown_table_is_named(tmp_path):
    (problem,) = problems_of(write(tmp_path, 'language = "sv"\n\n[displays]\nwidth = 1\n'))
    assert ":3: displays: unknown key" in problem and "display" in problem


def test_wrong_type_says_what_was_expected(tmp_path):
    (problem,) = problems_of(write(tmp_path, '[display]\nwidth = "800"\n'))
    assert problem.endswith("display.width: is a string ('800') (an integer from 320 to 7680)")
    assert ":2:" in problem


def test_a_boolean_is_not_accepted_as_a_number(tmp_path):
    (problem,) = problems_of(write(tmp_path, "[timing]\ndone_seconds = true\n"))
    assert "timing.done_seconds: is a boolean" in problem


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    text = """
language = "de"
[display]
rotation = 45
fullscreen = "yes"
[devices]
backend = "raspberry"
light_level = 1.5
[devices.buttons]
record = 99
"""
    problems = problems_of(write(tmp_path, text))
    keys = [p.split(": ")[1] for p in problems]
    assert keys == [
        "language",
        "display.rotation",
        "display.fullscreen",
        "devices.backend",
        "devices.light_level",
        "devices.buttons.record",
    ]
    assert problems[1].split(": ")[0].endswith(":4")
    assert problems[5].split(": ")[0].endswith(":10")
    assert "(one of 0, 90, 180, 270)" in problems[1]


def test_bad_toml_gives_the_line_of_the_mistake(tmp_path):
    path = write(tmp_path, 'language = "sv"\n[display]\nwidth = 80 0\n')
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:3: syntax: ")
    assert problem.endswith("(valid TOML, see https://toml.io)")


def test_absurdly_deep_nesting_is_a_problem_not_a_crash(tmp_path):
    (problem,) = problems_of(write(tmp_path, "a = " + "[" * 100_000 + "]" * 100_000 + "\n"))
    assert (
        problem
        == f"{tmp_path / 'booth.toml'}: syntax: nested too deeply (valid TOML, see https://toml.io)"
    )


def test_a_file_that_is_not_utf8_is_a_problem(tmp_path):
    path = tmp_path / "booth.toml"
    path.write_bytes(b'language = "sv"\nbooth_id = "k\xe4rna"\n')
    (problem,) = problems_of(path)
    assert f"{path}:2: syntax: not UTF-8 text" in problem


def test_relative_paths_are_relative_to_the_settings_file(tmp_path):
    settings = load_settings(write(tmp_path, '[paths]\nspool = "spool"\ninterviews = "/srv/iv"\n'))
    assert settings.paths.spool == tmp_path / "spool"
    assert settings.paths.interviews == Path("/srv/iv")


def test_sync_table_accepts_any_keys_for_later(tmp_path):
    settings = load_settings(write(tmp_path, '[sync]\nurl = "https://example.org/files/"\nx = 1\n'))
    assert settings.sync == {"url": "https://example.org/files/", "x": 1}


def test_optional_button_leds_and_pin_clashes(tmp_path):
    settings = load_settings(write(tmp_path, "[devices.buttons]\nrecord_led = 23\n"))
    assert settings.devices.buttons.record_led == 23 and settings.devices.buttons.next_led is None
    problems = problems_of(write(tmp_path, "[devices]\nlight_pin = 17\n"))
    assert any("devices.light_pin: is also a button's pin" in p for p in problems)


def test_backend_is_pi_only_on_a_raspberry_pi(tmp_path):
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    assert detect_backend(model) == "pi"
    model.write_bytes(b"Generic x86 board\x00")
    assert detect_backend(model) == "sim"
    assert detect_backend(tmp_path / "absent") == "sim"
    settings = load_settings(write(tmp_path, '[devices]\nbackend = "sim"\n'))
    assert settings.devices.backend == "sim"


def test_default_language_must_be_one_of_the_languages(tmp_path):
    (problem,) = problems_of(write(tmp_path, 'language = "fi"\nlanguages = ["sv", "en"]\n'))
    assert 'language: "fi" is not in languages (one of sv, en)' in problem


# -- opening hours ---------------------------------------------------------------------------

CET = timezone(timedelta(hours=1))


def test_hours_without_a_table_are_always_open():
    assert is_open(OpeningHours(), datetime(2025, 1, 5, 3, 0, tzinfo=CET))
    now = datetime(2025, 1, 5, 3, 0, tzinfo=CET)
    assert next_opening(OpeningHours(), now) == now


def test_weekdays_not_given_are_closed(tmp_path):
    hours = load_settings(write(tmp_path, '[hours]\nmon = "08:00-12:00, 13:00-17:00"\n')).hours
    monday = datetime(2025, 3, 3, tzinfo=CET)  # a Monday
    assert not is_open(hours, monday.replace(hour=7, minute=59))
    assert is_open(hours, monday.replace(hour=8))
    assert not is_open(hours, monday.replace(hour=12, minute=30))
    assert is_open(hours, monday.replace(hour=16, minute=59))
    assert not is_open(hours, monday.replace(hour=17))
    assert not is_open(hours, monday + timedelta(days=1, hours=10))


def test_next_opening_finds_the_next_span_even_a_week_ahead(tmp_path):
    hours = load_settings(write(tmp_path, '[hours]\nmon = "08:00-12:00, 13:00-17:00"\n')).hours
    monday = datetime(2025, 3, 3, tzinfo=CET)
    assert next_opening(hours, monday.replace(hour=12, minute=5)) == monday.replace(hour=13)
    assert next_opening(hours, monday.replace(hour=18)) == monday.replace(hour=8) + timedelta(
        days=7
    )
    assert next_opening(hours, monday + timedelta(days=3)) == monday.replace(hour=8) + timedelta(
        days=7
    )


def test_all_days_closed_never_opens():
    hours = OpeningHours(tuple(() for _ in range(7)))
    assert next_opening(hours, datetime(2025, 3, 3, tzinfo=CET)) is None


def test_all_day_span_ends_at_midnight():
    assert parse_day("00:00-24:00") == ((0, 1440),)
    for bad in ("17:00-08:00", "8-17", "08:00-12:00, 11:00-13:00", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_day(bad)


def test_bad_opening_hours_are_a_problem(tmp_path):
    problems = problems_of(
        write(tmp_path, '[hours]\nmon = "17:00-08:00"\ntue = 9\nholiday = "closed"\n')
    )
    assert problems[0].split(": ")[1] == "hours.mon" and "ends before it starts" in problems[0]
    assert problems[1].split(": ")[1] == "hours.tue"
    assert "hours.holiday: unknown key" in problems[2] and "mon, tue, wed" in problems[2]


def test_the_timing_table_fills_the_flows_own_timing(tmp_path):
    from booth.session.booth_rules import BoothRules
    from booth.session.flow import Flow, Timing
    from booth.sim.clock import VirtualClock

    settings = load_settings(write(tmp_path, "[timing]\ninactivity_seconds = 7\n"))
    assert settings.timing == Timing(inactivity_seconds=7)
    flow = Flow([], VirtualClock(), BoothRules(settings.languages, timing=settings.timing))
    assert flow.timing is settings.timing


def test_the_camera_focus_is_read_and_checked(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text('[camera]\nfocus = "distance"\nsubject_distance_m = 1.1\n')
    camera = load_settings(config).camera
    assert (camera.focus, camera.subject_distance_m) == ("distance", 1.1)
    config.write_text('[camera]\nfocus = "auto"\nsubject_distance_m = 0\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "focus" in str(caught.value) and "subject_distance_m" in str(caught.value)
    assert Settings().camera.focus == "continuous"
    assert Settings().camera.subject_distance_m == 0.8
