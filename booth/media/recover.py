"""Rebuilding a take cut off by a crash or power cut."""

from __future__ import annotations

import logging
from pathlib import Path

from booth.media.take_result import TakeResult
from booth.media.takefiles import TakeFiles

log = logging.getLogger(__name__)


def recover_take(take_dir: Path, out_path: Path) -> TakeResult | None:
    """Mux what a crashed take left in ``take_dir`` into ``out_path``, marked recovered.

    Covers every frame that has both its packet and its timestamp on disk, less the very last
    (possibly half-written) one: all but at most the last second after a power cut. Returns
    None when nothing usable is there; the take's files are never deleted here.
    """
    from booth.media.mux import TakeUnusable, mux_take  # see booth.media.take_result

    try:
        return mux_take(TakeFiles(take_dir), out_path, recovered=True)
    except TakeUnusable as error:
        log.warning("take %s could not be recovered: %s", take_dir, error)
        return None


def sent_without_keeping(take_dir: Path) -> bool:
    """Whether the take in ``take_dir`` is sent although the candidate never kept it (its
    question had no review, it was the last allowed take, or the interview keeps such takes),
    as the kiosk wrote in its take.json. A take from before that was written is sent, as it
    always was."""
    return bool(TakeFiles(take_dir).read_meta().get("sent_without_keeping", True))
