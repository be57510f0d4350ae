"""Translations: every text the screens show has a Swedish (and English) translation, the
compiled catalogs match their sources, and dates read naturally in each language."""

from __future__ import annotations

import ast
import gettext
import string
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from booth.ui import texts
from booth.ui.i18n import DOMAIN, LOCALE_DIR, translator
from tools.msgids import UI_DIR, marked_msgids

CATALOGS = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/booth.po"))


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as f:
        return dict(gettext.GNUTranslations(f)._catalog)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_swedish_and_english_catalogs_exist():
    compiled = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    assert {"sv", "en"} <= compiled


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_compiled_catalog_is_up_to_date_with_its_source(po, tmp_path):
    fresh = tmp_path / "booth.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
    assert _catalog(po.with_suffix(".mo")) == _catalog(fresh), (
        f"{po.with_suffix('.mo')} is stale: run `make i18n`"
    )


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_text_on_screen_has_a_translation(language):
    catalog = _catalog(LOCALE_DIR / language / "LC_MESSAGES" / "booth.mo")
    missing = [f"{where}: {m!r}" for m, where in marked_msgids().items() if not catalog.get(m)]
    assert not missing, f"untranslated in {language}:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_translations_keep_the_placeholders(language):
    tr = translator(language)
    for msgid in marked_msgids():
        assert _fields(tr(msgid)) == _fields(msgid), f"{language}: {msgid!r}"


def test_screen_code_passes_no_bare_text_to_the_screen():
    """Texts reach the screen through tr(): no string literal goes straight to a text
    call, a button or a stacked line."""
    drawing_calls = {"text", "button", "Line", "Btn"}
    offenders = []
    for path in sorted(UI_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            first = node.args[0]
            if name in drawing_calls and isinstance(first, ast.Constant) and first.value:
                offenders.append(f"{path.name}:{node.lineno}: {first.value!r}")
    assert not offenders, "\n".join(offenders)


def test_unknown_language_falls_back_to_english():
    assert translator("xx")("Question {k} of {n}") == "Question {k} of {n}"


def test_deadline_reads_naturally_in_each_language():
    when = datetime(2025, 3, 31, 23, 59)
    assert texts.date_time(translator("sv"), when) == "31 mars 2025 kl. 23:59"
    assert texts.date_time(translator("en"), when) == "31 March 2025 at 23:59"


def test_durations_read_naturally():
    sv = translator("sv")
    assert texts.duration(sv, 90) == "1 min 30 s"
    assert texts.duration(sv, 120) == "2 minuter"
    assert texts.duration(sv, 60) == "1 minut"
    assert texts.duration(translator("en"), 45) == "45 seconds"


def test_countdown_clock_rounds_up():
    assert texts.clock(83.2) == "1:24"
    assert texts.clock(0.2) == "0:01"
    assert texts.clock(0) == "0:00"


def test_code_messages_say_how_long_to_wait():
    sv = translator("sv")
    assert "27 sekunder" in texts.code_message(sv, "code.locked", 26.4)
    assert texts.code_message(sv, None, 0) == ""
    assert texts.code_message(sv, "code.wrong", 0).startswith("Vi hittade inte")


def test_unknown_out_of_order_reason_still_reads_calmly():
    assert (
        texts.out_of_order_text(translator("sv"), "gremlins") == "Båset kan inte spela in just nu."
    )
