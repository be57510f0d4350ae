"""Translations of everything a candidate reads, through gettext catalogs.

Message ids are the English texts, written in the ui code as `tr("...")` (or
`N_("...")` where a text is only named, and translated later). Placeholders use
str.format names, e.g. `tr("Question {k} of {n}").format(k=2, n=3)`; a
translation must keep the same names.

Catalogs live in booth/locale/<lang>/LC_MESSAGES/booth.po, each compiled to a
booth.mo beside it (both are committed). The msgid "In English" is special: each
catalog translates it into the name of its own language, written in that language
("På svenska"); the language button shows it in the language it switches to.

To add a language, for example German ("de"):

    xgettext --from-code=UTF-8 -L Python -k -ktr -kN_ -o /tmp/booth.pot booth/ui/*.py
    msginit --no-translator -l de -i /tmp/booth.pot -o booth/locale/de/LC_MESSAGES/booth.po
    # translate every msgstr, then compile:
    make i18n

and add "de" to the booth's and the interview's languages. After changing texts in
the code, refresh every catalog with `msgmerge -U booth.po /tmp/booth.pot`, translate
what is new, and run `make i18n`; the tests fail while a catalog is stale.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "booth"

log = logging.getLogger(__name__)


def N_(msgid: str) -> str:
    """Mark a text for translation without translating it yet."""
    return msgid


@cache
def translator(lang: str) -> Callable[[str], str]:
    """The function that translates an English msgid into `lang`.

    A language without a catalog falls back to the English msgids (and is logged),
    so a misconfigured language never stops the kiosk.
    """
    try:
        catalog: gettext.NullTranslations = gettext.translation(
            DOMAIN, localedir=LOCALE_DIR, languages=[lang]
        )
    except OSError:
        log.warning(
            "no translation catalog for language %r in %s; showing English", lang, LOCALE_DIR
        )
        catalog = gettext.NullTranslations()
    return catalog.gettext
