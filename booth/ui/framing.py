"""Where a well-framed face sits in the camera picture: the framing guide's geometry.

Fractions of the camera picture (0..1, x from the left of the mirrored preview,
y from the top), so the simulated camera can put its face exactly where the
guide on the check screen asks the candidate to sit. No pygame here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FramingGuide:
    """The face outline (an ellipse) and the eye line, as fractions of the picture."""

    eye_y: float = 0.43  # eyes on this line: the camera sits at eye level
    face_cx: float = 0.5
    face_cy: float = 0.5
    face_h: float = 0.56  # outline height as a fraction of the picture height
    face_aspect: float = 0.76  # outline width / height

    def face_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The outline's bounding box (x, y, w, h) in pixels of a width×height picture."""
        h = self.face_h * height
        w = h * self.face_aspect
        return (
            round(self.face_cx * width - w / 2),
            round(self.face_cy * height - h / 2),
            round(w),
            round(h),
        )


FRAMING = FramingGuide()
