"""Issue 27: the screens read as a nervous first-timer reads them, in both languages and at
every supported size: codes on one line, what happens next said before it happens, help that
exists, and plain words set no smaller than body size."""

from __future__ import annotations

import os
import re
from dataclasses import replace

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame
import pytest

from booth.config.settings import load_settings
from booth.kiosk.build import consent_facts
from booth.session.view import View
from booth.ui.canvas import BODY
from booth.ui.renderer import Renderer
from booth.ui.subtitles_draw import draw_subtitle
from tools.gallery import sample_mic, sample_views, synthetic_face

FACE = synthetic_face(160, 120)
SIZES = [(800, 480), (1920, 1080), (480, 800), (1080, 1920)]
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


@pytest.fixture(scope="module")
def renderers():
    pygame.font.init()
    return {size: Renderer(size) for size in SIZES}


def drawn(renderer, size, view, mic=None, preview=FACE):
    """The text boxes of one drawn screen (text, the rows it was wrapped into, its px)."""
    surface = pygame.Surface(size)
    hits = renderer.draw(surface, view, preview, mic, 0.0)
    return renderer.text_boxes, hits


def words(renderer, size, view, mic=None):
    boxes, _ = drawn(renderer, size, view, mic)
    return [b.text for b in boxes]


@size_ids
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_code_of_6_to_12_digits_stays_on_one_line_at_body_size_or_more(
    renderers, size, language
):
    renderer = renderers[size]
    body_px = round(BODY * min(size) / 100)
    digits = "482133771234"
    for length in range(6, 13):
        for places in (length, 0):  # codes.csv says how many digits, or it does not
            for typed in range(length + 1):
                view = View(
                    "code", language, ("sv", "en"), code_entry=digits[:typed], code_places=places
                )
                boxes, _ = drawn(renderer, size, view)
                shown = [b for b in boxes if b.text.replace(" ", "").strip("–") == digits[:typed]]
                if not shown:  # nothing typed and no places: the field is empty
                    assert typed == 0 and places == 0
                    continue
                field = shown[0]
                assert len(field.rows) == 1, f"{length} digits, {typed} typed: {field.rows}"
                assert field.px >= body_px, f"{length} digits at {size}: {field.px} px"
                assert pygame.Rect(0, 0, *size).contains(field.rect)


def sample(language, name, **changes):
    return replace(sample_views(language)[name], **changes)


def every_sample(sizes=SIZES):
    for size in sizes:
        for language in ("sv", "en"):
            for name, view in sample_views(language).items():
                yield size, language, name, view


# --------------------------------------------------------------- 4: what happens next
@pytest.mark.parametrize(
    "language, nothing, by_itself",
    [
        ("en", "Nothing is recorded now.", "recording starts by itself"),
        ("sv", "Inget spelas in nu.", "börjar inspelningen av sig själv"),
    ],
)
def test_the_think_screen_says_nothing_is_recorded_and_recording_starts_by_itself(
    renderers, language, nothing, by_itself
):
    for size in SIZES:
        shown = words(renderers[size], size, sample(language, "think"))
        assert nothing in shown
        assert any(by_itself in w for w in shown), size


def test_the_question_says_what_next_starts_and_why_it_is_not_ready(renderers):
    shown = words(renderers[(800, 480)], (800, 480), sample("en", "question"))
    assert "Press “Next” to start your time to think." in shown
    one_take = words(renderers[(800, 480)], (800, 480), sample("en", "question-one-take"))
    assert "Press “I'm ready” to start the 3-2-1. Then recording starts." in one_take
    playing = sample("sv", "question-clip-playing")
    boxes, hits = drawn(renderers[(800, 480)], (800, 480), playing)
    assert "next" not in {h.action for h in hits}  # greyed out while the clip plays…
    assert "Du kan trycka på ”Nästa” när klippet är slut." in [b.text for b in boxes]  # …and why


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", ["Record again?", "Try 1 will be deleted. You cannot get it back."]),
        ("sv", ["Spela in igen?", "Försök 1 raderas. Du kan inte få tillbaka det."]),
    ],
)
def test_record_again_says_before_deleting_what_goes_and_what_comes(renderers, language, expected):
    view = sample(language, "review", take_number=1, takes_left=2, retake_asked=True)
    boxes, hits = drawn(renderers[(800, 480)], (800, 480), view)
    shown = [b.text for b in boxes]
    assert all(e in shown for e in expected), shown
    assert {"back", "retake"} <= {h.action for h in hits} and "keep" not in {h.action for h in hits}
    last = words(renderers[(800, 480)], (800, 480), sample("en", "review-retake-last"))
    assert "Try 3 is your last. It will be sent, whatever it is like." in last


def test_watch_again_is_offered_only_after_the_take_was_watched(renderers):
    def replay_label(view):
        boxes, hits = drawn(renderers[(800, 480)], (800, 480), view)
        replay = next(h for h in hits if h.action == "replay")
        return next(b.text for b in boxes if replay.rect.contains(b.rect))

    assert replay_label(sample("en", "review")) == "Watch"
    assert replay_label(sample("en", "review", take_watched=True)) == "Watch again"


def test_the_time_limit_notice_names_its_question(renderers):
    for name in ("question-after-limit",):
        shown = words(renderers[(800, 480)], (800, 480), sample("en", name, limit_question=2))
        assert "Your answer to question 2 reached the time limit. It was sent as it is." in shown
        sv = words(renderers[(800, 480)], (800, 480), sample("sv", name, limit_question=2))
        assert "Ditt svar på fråga 2 nådde tidsgränsen. Det skickades som det var." in sv


def test_consent_says_a_no_is_reported_and_what_the_report_holds(renderers):
    shown = words(renderers[(800, 480)], (800, 480), sample("en", "consent"))
    assert (
        "If you say no, nothing is recorded. City of Gothenburg is told that you said no, "
        "and when." in shown
    )
    sv = words(renderers[(800, 480)], (800, 480), sample("sv", "consent"))
    assert any("Göteborgs Stad får veta att du sa nej" in w for w in sv)


def test_the_done_screen_follows_what_happened_and_the_settings(renderers):
    size = (800, 480)
    none_kept = words(renderers[size], size, sample("en", "done-none-kept"))
    assert "Thank you! You are done." not in none_kept
    assert "No answer was kept, so nothing is sent." in none_kept
    kept = words(renderers[size], size, sample("en", "done-receipt"))
    assert "Thank you! You are done." in kept
    # Without [sync] url the booth sends nothing by itself, and does not say it does.
    assert not any("by itself" in w for w in kept)
    assert any("The staff send them on to City of Gothenburg" in w for w in kept)
    sends = words(renderers[size], size, sample("en", "done-sends"))
    assert any("sends your answers (3) to City of Gothenburg by itself" in w for w in sends)
    for name in ("done", "done-receipt", "done-sends"):
        assert not any("good luck" in w for w in words(renderers[size], size, sample("en", name)))
    declined = words(renderers[size], size, sample("sv", "done-declined"))
    assert "Inget spelades in" in declined
    assert any(w.startswith("Arbetsgivaren får veta att du sa nej.") for w in declined)


def test_sends_by_itself_is_said_exactly_when_sync_has_an_url(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text("[sync]\nretention_hours = 36\n", encoding="utf-8")
    assert not consent_facts(load_settings(config)).sends_by_itself
    config.write_text('[sync]\nurl = "https://example.org/files/"\n', encoding="utf-8")
    assert consent_facts(load_settings(config)).sends_by_itself


def test_i_need_more_time_confirms_what_it_added(renderers):
    shown = words(renderers[(800, 480)], (800, 480), sample("en", "think-more-time-added"))
    assert "You got 30 seconds more to think." in shown
    sv = words(renderers[(800, 480)], (800, 480), sample("sv", "think-more-time-added"))
    assert "Du fick 30 sekunder mer betänketid." in sv


# --------------------------------------------------------------- 5: help that exists
def test_the_default_help_promises_no_bell_and_no_number(renderers):
    for language in ("sv", "en"):
        shown = " ".join(words(renderers[(800, 480)], (800, 480), sample(language, "help")))
        for promise in ("bell", "klocka", "number", "numret", "call", "ring"):
            assert promise not in shown.lower(), (language, shown)


def test_out_of_order_and_closed_show_help_and_the_booths_contact():
    pygame.font.init()
    renderer = Renderer(
        (800, 480),
        help_text={"en": "Ask at the reception desk.", "sv": "Fråga i receptionen."},
        help_phone="031-123 45 67",
        help_location={"en": "Reception, 2nd floor", "sv": "Receptionen, plan 2"},
    )
    for name in ("out-of-order", "closed"):
        boxes, hits = drawn(renderer, (800, 480), sample("sv", name))
        shown = [b.text for b in boxes]
        assert "help" in {h.action for h in hits}, name
        assert {"Fråga i receptionen.", "Telefon: 031-123 45 67"} <= set(shown), name
        assert "Personal: Receptionen, plan 2" in shown, name


def test_the_out_of_order_title_never_leaves_a_word_alone_on_its_last_line(renderers):
    for size in SIZES:
        boxes, _ = drawn(renderers[size], size, sample("sv", "out-of-order"))
        title = next(b for b in boxes if b.text.startswith("Tyvärr"))
        assert len(title.rows) == 1 or " " in title.rows[-1].strip(), title.rows


# --------------------------------------------------------------- 7: plain words, body size
def test_swedish_screens_have_no_english_rec_and_no_film_jargon(renderers):
    for size, language, name, view in every_sample([(800, 480)]):
        shown = " ".join(words(renderers[size], size, view, sample_mic(name)))
        # The film word for a recording ("take 1", "this take"), not the verb ("take a photo").
        take = r"\b[Tt]akes\b|\b(?:the|this|a|one|last|your|each) take\b|\b[Tt]ake \d"
        jargon = ("tagning", r"\bREC\b") if language == "sv" else (take, r"\bREC\b")
        for word in jargon:
            assert not re.search(word, shown), (language, name, word, shown)


def test_one_verb_for_keeping_in_swedish(renderers):
    # The button says "Behåll svaret": the texts about which try is sent say "behålla" too.
    for name in ("review", "inactive-review", "end-confirm", "done-receipt", "question"):
        shown = " ".join(words(renderers[(800, 480)], (800, 480), sample("sv", name)))
        assert "spara" not in shown.lower() and "sparade" not in shown.lower(), (name, shown)
    review = words(renderers[(800, 480)], (800, 480), sample("sv", "review"))
    assert "Behåll svaret" in review and "Bara försöket du behåller skickas." in review


def test_no_text_is_smaller_than_body_size_at_800x480(renderers):
    size = (800, 480)
    body_px = round(BODY * min(size) / 100)
    for _, language, name, view in every_sample([size]):
        boxes, _ = drawn(renderers[size], size, view, sample_mic(name))
        small = [(b.px, b.text[:40]) for b in boxes if b.px < body_px]
        assert not small, (language, name, small)


def test_the_check_title_keeps_body_size_in_portrait(renderers):
    for size in ((480, 800), (1080, 1920)):
        boxes, _ = drawn(renderers[size], size, sample("sv", "check"))
        title = next(b for b in boxes if b.text == "Kontrollera hur du syns och hörs")
        assert title.px >= round(BODY * min(size) / 100) and len(title.rows) == 1


def test_subtitles_are_never_smaller_than_body_text(renderers):
    size = (800, 480)
    renderer = renderers[size]
    surface = pygame.Surface(size)
    renderer.draw(surface, sample("sv", "question-clip"), FACE, None, 0.0)
    band = draw_subtitle(surface, renderer.clip_rect, "Hej och välkommen!", renderer.fonts)
    body_font = renderer.fonts.get(round(BODY * min(size) / 100))
    assert band is not None and band.h >= body_font.get_height()


_UNIT = re.compile(r"^(s|sek|sekund|sekunder|seconds?|min|minut|minuter|minutes?|%)\b")


def test_no_line_breaks_inside_a_time_a_number_or_a_unit(renderers):
    for size, language, name, view in every_sample():
        for view_ in (view, replace(view, answer_seconds=90, think_seconds=90)):
            boxes, _ = drawn(renderers[size], size, view_, sample_mic(name))
            for box in boxes:
                for before, after in zip(box.rows, box.rows[1:], strict=False):
                    a, b = before.rstrip(), after.lstrip()
                    broken = (a[-1:].isdigit() and (b[:1].isdigit() or _UNIT.match(b))) or (
                        a.endswith((" min", "kl.")) and b[:1].isdigit()
                    )
                    assert not broken, (size, language, name, box.rows)


def test_a_date_and_its_time_never_break_inside_them():
    from booth.ui.texts import keep_together

    nb = "\u00a0"
    sv = keep_together("Skriv in din kod igen före 31 mars 2025 kl. 23:59.")
    assert f"31{nb}mars{nb}2025 kl.{nb}23:59" in sv
    assert f"31{nb}March{nb}2025 at{nb}23:59" in keep_together("before 31 March 2025 at 23:59")


def test_the_swedish_welcome_keeps_1_min_30_s_on_one_line(renderers):
    interview = replace(sample("sv", "welcome").interview, answer_seconds_max=90)
    for size in SIZES:
        boxes, _ = drawn(renderers[size], size, sample("sv", "welcome", interview=interview))
        time = next(b for b in boxes if b.text == "upp till 1 min 30 s")
        assert any("1\u00a0min\u00a030\u00a0s" in row for row in time.rows), time.rows


def test_the_welcome_says_which_question_each_rule_is_for(renderers):
    shown = words(renderers[(800, 480)], (800, 480), sample("en", "welcome"))
    assert "Questions 1 and 2: 3 tries\nQuestion 3: one try, sent as it is" in shown
