"""The kiosk's typeface, loaded by explicit path and cached per pixel size.

DejaVu Sans (Debian's fonts-dejavu-core) has every glyph Swedish needs (å ä ö)
and stays legible at small sizes. It is loaded by path, not by name, because
`pygame.freetype.SysFont("dejavusans")` picks the condensed cut.
"""

from __future__ import annotations

from pathlib import Path

import pygame

DEFAULT_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


class FontMissingError(FileNotFoundError):
    """The font file is not there: staff see which file and how to get it."""


def bold_companion(regular: Path) -> Path:
    """The bold cut next to a regular font file (DejaVuSans.ttf → DejaVuSans-Bold.ttf).

    Falls back to the regular file when there is no bold one.
    """
    bold = regular.with_name(f"{regular.stem}-Bold{regular.suffix}")
    return bold if bold.is_file() else regular


class FontBook:
    """Fonts of one typeface in regular and bold, created once per pixel size.

    `regular`: path of a TrueType file; default DejaVu Sans.
    """

    def __init__(self, regular: Path | None = None) -> None:
        self.regular = Path(regular) if regular is not None else DEFAULT_FONT
        if not self.regular.is_file():
            raise FontMissingError(
                f"font file not found: {self.regular} "
                "(install it with `apt-get install fonts-dejavu-core`, "
                "or point the display's font setting at a .ttf file with å ä ö)"
            )
        self.bold = bold_companion(self.regular)
        pygame.font.init()
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}

    def get(self, px: int, bold: bool = False) -> pygame.font.Font:
        """The font at `px` pixels (the em size), regular or bold."""
        px = max(8, int(px))
        key = (px, bold)
        font = self._fonts.get(key)
        if font is None:
            font = pygame.font.Font(str(self.bold if bold else self.regular), px)
            self._fonts[key] = font
        return font
