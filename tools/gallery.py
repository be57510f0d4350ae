"""Screenshots of every screen, at several sizes and in every language, from sample views.

    python -m tools.gallery OUTDIR [--size 800x480 ...] [--lang sv ...] [--long]

writes OUTDIR/<lang>-<W>x<H>/<NN>-<name>.png, to look at layouts. The tests draw every screen
from the same sample views (tests/test_ui_render.py). The README's screenshots come from the
simulator instead (docs/screens/make.sh).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from booth.framing import FRAMING
from booth.session.view import ConsentFacts, InterviewSummary, View
from booth.ui.widgets import MicLevel

SIZES = ((800, 480), (1920, 1080), (480, 800))
LANGUAGES = ("sv", "en")

_SAMPLE = {
    "sv": {
        "employer": "Göteborgs Stad",
        "title": "Undersköterska, äldreomsorg",
        "practice": "Berätta kort om något du tycker om att göra på fritiden.",
        "question": "Berätta om en gång när du löste ett problem tillsammans med andra.",
    },
    "en": {
        "employer": "City of Gothenburg",
        "title": "Assistant nurse, elderly care",
        "practice": "Tell us briefly about something you enjoy doing in your free time.",
        "question": "Tell us about a time when you solved a problem together with others.",
    },
}
_LONG_SV = {
    "employer": "Västra Götalandsregionens sjukhusförvaltning för specialistvård i Göteborg",
    "title": "Specialistundersköterska inom anestesi- och operationssjukvård, natt",
    "practice": "Beskriv så utförligt du kan hur en vanlig arbetsdag ser ut för dig, vad du "
    "tycker är roligast och vad du tycker är svårast, och varför du har valt att söka hit.",
    "question": "Berätta om en situation där du behövde samarbeta med kollegor som hade helt "
    "andra arbetssätt än du, hur ni kom överens, vad resultatet blev och vad du lärde dig "
    "av det hela till nästa gång något liknande händer på arbetsplatsen.",
}


def sample_views(language: str, long_texts: bool = False) -> dict[str, View]:
    """One or more sample views per screen id, keyed by a file-friendly name."""
    s = _LONG_SV if long_texts else _SAMPLE.get(language, _SAMPLE["en"])
    langs = ("sv", "en")
    interview = InterviewSummary(
        employer=s["employer"],
        title=s["title"],
        question_count=3,
        answer_seconds_max=120,
        max_takes=3,
        deadline=datetime(2025, 3, 31, 23, 59, tzinfo=timezone(timedelta(hours=2))),
        takes=(3, 3, 1),
        reviews=(True, True, False),
    )
    base = {"language": language, "languages": langs, "interview": interview}
    q = {
        **base,
        "question_index": 2,
        "question_count": 3,
        "question_text": s["question"],
        "think_seconds": 30,
        "answer_seconds": 120,
        "take_number": 2,
        "max_takes": 3,
        "takes_left": 1,
    }
    # an intro clip playing for the first time, in an interview that allows pausing it
    intro = {"intro_index": 1, "intro_count": 2, "clip_playing": True, "clip_pausable": True}
    p = {**base, "is_practice": True, "question_text": s["practice"], "answer_seconds": 60}
    return {
        "idle": View("idle", language, langs),
        "code": View("code", language, langs, code_entry="4821", code_places=6),
        "idle-after-practice": View("idle", language, langs, message="practice.done"),
        "code-wrong": View("code", language, langs, code_entry="", message="code.wrong"),
        "code-locked": View("code", language, langs, message="code.locked", locked_seconds=27),
        "welcome": View("welcome", **base),
        "welcome-resumed": View("welcome", **base, extra={"resume_question": 2}),
        "consent": View("consent", **base),
        "check": View("check", **base),
        "check-quiet": View("check", **base, extra={"mic": "quiet"}),
        "check-silent": View("check", **base, extra={"mic": "silent"}),
        "check-help-silent": View("check-help", **base, return_screen="check"),
        "check-help-framing": View(
            "check-help", **base, return_screen="check", check_problem="framing"
        ),
        "intro": View("intro", **base, **intro, clip_path="intro-1.mp4"),
        "intro-paused": View(
            "intro", **base, **intro, clip_path="intro-1.mp4", clip_paused=True
        ),  # fmt: skip
        "intro-played": View(
            "intro",
            **base,
            intro_index=2,
            intro_count=2,
            clip_path="i/intro-2.mp4",
            clip_played=True,
            clip_replayable=True,
        ),  # fmt: skip
        "intro-skip": View(
            "intro",
            **base,
            **{**intro, "intro_index": 2},
            clip_path="i/intro-2.mp4",
            clip_played=True,
            clip_skippable=True,
        ),  # fmt: skip
        "intro-pick": View(
            "intro",
            **base,
            intro_index=2,
            intro_count=2,
            clip_path="i/intro-2.mp4",
            clip_played=True,
            clip_replayable=True,
            intro_titles=(("Om oss", "") if language == "sv" else ("About us", "")),
        ),  # fmt: skip
        "practice": View("practice", **p),
        "practice-walk-in": View(
            "practice",
            language,
            langs,
            practice_only=True,
            is_practice=True,
            question_text=s["practice"],
            think_seconds=20,
            answer_seconds=60,
        ),  # fmt: skip
        "question": View("question", **q),
        "question-clip": View("question", **{**q, "clip_path": "q2.mp4"}),
        "question-clip-playing": View(
            "question", **{**q, "clip_path": "q2.mp4"}, clip_playing=True, clip_pausable=True
        ),  # fmt: skip
        "question-audio": View(
            "question", **q, question_audio="q3.sv.m4a", clip_playing=True, clip_pausable=True
        ),  # fmt: skip
        "question-one-take": View(
            "question",
            **{
                **q,
                "question_index": 3,
                "max_takes": 1,
                "takes_left": 1,
                "take_number": 1,
                "think_seconds": 0,
            },
            one_take=True,
            sent_without_keeping=True,
        ),  # fmt: skip
        "question-after-limit": View(
            "question", **{**q, "question_index": 3}, limit_reached=True, limit_question=2
        ),  # fmt: skip
        "think": View("think", **q, seconds_left=24.3),
        "think-more-time": View("think", **q, seconds_left=24.3, more_time_seconds=30),
        "think-more-time-added": View("think", **q, seconds_left=49.3, more_time_added=30),
        "think-practice": View(
            "think", **p, think_seconds=20, seconds_left=14.2, more_time_seconds=30
        ),  # fmt: skip
        "countdown": View("countdown", **q, seconds_left=2.4),
        "recording": View("recording", **q, seconds_left=83.2, recording=True),
        "recording-last-seconds": View(
            "recording", **q, seconds_left=7.4, recording=True, time_warning=True
        ),  # fmt: skip
        "recording-unlimited": View(
            "recording",
            **{**q, "max_takes": 0, "takes_left": None},
            seconds_left=9,
            recording=True,
        ),  # fmt: skip
        "review": View("review", **q, can_retake=True, review_allowed=True),
        "review-replay": View(
            "review",
            **q,
            can_retake=True,
            review_allowed=True,
            replaying=True,
            clip_playing=True,
            clip_pausable=True,
            clip_paused=True,
        ),  # fmt: skip
        "review-watched": View(
            "review", **q, can_retake=True, review_allowed=True, take_watched=True
        ),  # fmt: skip
        "review-retake-asked": View(
            "review",
            **{**q, "take_number": 1, "takes_left": 2},
            can_retake=True,
            review_allowed=True,
            retake_asked=True,
        ),  # fmt: skip
        "review-retake-last": View(
            "review", **q, can_retake=True, review_allowed=True, retake_asked=True
        ),  # fmt: skip
        "review-last": View(
            "review", **{**q, "take_number": 3, "takes_left": 0}, review_allowed=True
        ),
        "review-practice": View("review", **p, take_number=1, can_retake=True),
        "review-limit": View(
            "review", **q, can_retake=True, review_allowed=True, limit_reached=True
        ),  # fmt: skip
        "done": View("done", language, langs, seconds_left=12, extra={"outcome": "complete"}),
        "done-declined": View("done", language, langs, extra={"outcome": "declined"}),
        "done-receipt": View(
            "done",
            **base,
            seconds_left=12,
            extra={"outcome": "complete"},
            kept_count=3,
            session_ref="20250317T091500Z-3f9a1c7e",
            finished_at=datetime(2025, 3, 17, 10, 15),
        ),  # fmt: skip
        "done-none-kept": View(
            "done", **base, seconds_left=12, extra={"outcome": "complete"}, kept_count=0
        ),  # fmt: skip
        "done-sends": View(
            "done",
            **base,
            seconds_left=12,
            extra={"outcome": "complete"},
            kept_count=3,
            consent=ConsentFacts(sends_by_itself=True),
        ),  # fmt: skip
        "done-ended-early": View(
            "done",
            **base,
            seconds_left=12,
            extra={"outcome": "ended-early"},
            kept_count=1,
            session_ref="20250317T091500Z-3f9a1c7e",
            finished_at=datetime(2025, 3, 17, 10, 15),
        ),  # fmt: skip
        "help": View("help", **base, return_screen="question", wait_minutes=10),
        "inactive": View("inactive", **base, seconds_left=17, return_screen="question"),
        "inactive-review": View(
            "inactive",
            **q,
            seconds_left=17,
            return_screen="review",
            pending_take=True,
            kept_count=1,
        ),  # fmt: skip
        "end-confirm": View("end-confirm", **q, return_screen="question", kept_count=1),
        "closed": View(
            "closed",
            language,
            langs,
            opens_at=datetime(2025, 3, 17, 13, 0),
            now=datetime(2025, 3, 17, 12, 10),
            hours_today="08:00–12:00, 13:00–17:00",
        ),  # fmt: skip
        "out-of-order": View("out-of-order", language, langs, reason="camera"),
    }


def sample_mic(name: str) -> MicLevel:
    """A believable microphone level for a sample view."""
    if name.endswith("quiet"):
        return MicLevel(rms_dbfs=-52, peak_dbfs=-44, clipping=False, too_quiet=True)
    if name.endswith("silent"):
        return MicLevel(rms_dbfs=-80, peak_dbfs=-75, clipping=False, too_quiet=False)
    return MicLevel(rms_dbfs=-21, peak_dbfs=-9, clipping=False, too_quiet=False)


def synthetic_face(width: int = 640, height: int = 480) -> np.ndarray:
    """A camera-like RGB picture: a plain backdrop and a face where the framing guide puts it."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, 3), np.float32)
    shade = 0.85 + 0.15 * (1 - y / height)
    img[...] = np.stack([96 * shade, 112 * shade, 124 * shade], axis=-1)
    fx, fy, fw, fh = FRAMING.oval(width, height).rounded()
    cx, cy = fx + fw / 2, fy + fh / 2
    body = ((x - cx) / (fw * 1.25)) ** 2 + ((y - (height + fh * 0.35)) / (fh * 0.8)) ** 2 < 1
    img[body] = (52, 70, 96)
    neck = (abs(x - cx) < fw * 0.2) & (y > cy) & (y < cy + fh * 0.62)
    img[neck] = (196, 150, 122)
    face = ((x - cx) / (fw / 2 * 0.92)) ** 2 + ((y - cy) / (fh / 2 * 0.92)) ** 2 < 1
    img[face] = (222, 178, 148)
    hair = face & (y < fy + fh * 0.2)
    img[hair] = (70, 48, 36)
    eye_y = FRAMING.eye_y(height)
    for ex in (cx - fw * 0.2, cx + fw * 0.2):
        eye = ((x - ex) / (fw * 0.07)) ** 2 + ((y - eye_y) / (fh * 0.035)) ** 2 < 1
        img[eye] = (40, 40, 48)
    mouth = ((x - cx) / (fw * 0.16)) ** 2 + ((y - (cy + fh * 0.24)) / (fh * 0.03)) ** 2 < 1
    img[mouth] = (150, 70, 70)
    return img.astype(np.uint8)


def render_gallery(
    outdir: Path,
    sizes: Iterable[tuple[int, int]] = SIZES,
    languages: Iterable[str] = LANGUAGES,
    long_texts: bool = False,
) -> list[Path]:
    """Render every sample view at every size in every language; returns the PNG paths."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from booth.ui.renderer import Renderer

    pygame.font.init()
    frame_rgb = synthetic_face()
    written: list[Path] = []
    for w, h in sizes:
        renderer = Renderer((w, h))
        surface = pygame.Surface((w, h))
        for lang in languages:
            folder = outdir / f"{lang}-{w}x{h}"
            folder.mkdir(parents=True, exist_ok=True)
            for i, (name, view) in enumerate(sample_views(lang, long_texts).items()):
                renderer.draw(surface, view, frame_rgb, sample_mic(name), 0.0)
                path = folder / f"{i:02d}-{name}.png"
                pygame.image.save(surface, str(path))
                written.append(path)
    return written


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 800x480") from None
    return w, h


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gallery", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--size", type=_size, action="append", help="WxH; repeatable")
    parser.add_argument("--lang", action="append", help="language code; repeatable")
    parser.add_argument("--long", action="store_true", help="use very long Swedish texts")
    args = parser.parse_args(argv)
    paths = render_gallery(args.outdir, args.size or SIZES, args.lang or LANGUAGES, args.long)
    print(f"wrote {len(paths)} screenshots under {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
