"""Where the candidate's face should be in the camera picture: the one face geometry.

The check screen's framing guide (an oval and a dashed eye line), the simulated candidate
(booth.sim.scene) and the face meter (booth.devices.face_meter, on the simulated camera and on
the Pi) all take their places from `FRAMING`, so the face the meter reads is the face the guide
asks for, and the simulated face sits where a well-framed candidate sits.

Positions are fractions of the camera picture: x from the left (the preview is mirrored, but
everything here is symmetric about the middle), y from the top. The eye line is a fraction of
the picture's height. Sizes are fractions of the picture's *shorter* side, so a face keeps its
size when the picture is cropped to 4:3 or 16:9 or the camera is mounted turned to portrait
(a head at the same distance from the same sensor). Everything else hangs off the eye line:

- the oval: the guide's outline, which the candidate's head (hair included) should fill
  without crossing; the eyes sit `eyes_in_oval` of its height below its top, just above its
  middle, as on a real head (the eyes are about halfway between the crown and the chin);
- the face box: the skin of a well-framed face, forehead to chin and cheek to cheek, a bit
  smaller than the oval so that hair and a head moving gently from side to side stay inside it;
- the meter patch: the cheeks and nose in the face box, between the eyes and the mouth and
  away from the sides, which stay skin however the head sways by up to `sway` of the face
  box's width.

Plain Python, no imports from booth: the lowest layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels (floats): left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def rounded(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) rounded to whole pixels, e.g. for pygame.draw.ellipse."""
        return round(self.x), round(self.y), round(self.w), round(self.h)


@dataclass(frozen=True)
class Framing:
    """Where a well-framed face sits: the eye line, the oval, the face box, the meter patch."""

    eye_line: float = 0.43
    """The eyes' height, as a fraction of the picture height from the top (the camera at eye
    level, a little headroom)."""
    center_x: float = 0.5
    """The middle of the face, as a fraction of the picture width."""
    oval_height: float = 0.56
    """The oval's height, as a fraction of the picture's shorter side."""
    oval_aspect: float = 0.76
    """The oval's width / height."""
    eyes_in_oval: float = 0.48
    """How far below the oval's top the eye line runs, as a fraction of the oval's height."""
    face_height: float = 0.76
    """The face box's height (forehead to chin), as a fraction of the oval's height."""
    face_aspect: float = 0.74
    """The face box's width / height."""
    eyes_in_face: float = 0.46
    """How far below the face box's top the eye line runs, as a fraction of its height."""
    patch: tuple[float, float, float, float] = (0.31, 0.52, 0.38, 0.20)
    """The meter patch (cheeks and nose) in the face box: left, top, width, height, as
    fractions of the face box's width and height."""
    sway: float = 0.05
    """The largest sideways movement of the head the oval and the meter patch allow for, as
    a fraction of the face box's width (the simulated candidate sways this much)."""

    def eye_y(self, height: float) -> float:
        """The eye line's row, in pixels of a picture `height` tall."""
        return self.eye_line * height

    def oval(self, width: float, height: float) -> Box:
        """The guide's oval (its bounding box), in pixels of a width×height picture."""
        h = self.oval_height * min(width, height)
        w = h * self.oval_aspect
        top = self.eye_y(height) - self.eyes_in_oval * h
        return Box(self.center_x * width - w / 2, top, w, h)

    def face(self, width: float, height: float) -> Box:
        """The face box (the skin's bounding box), in pixels of a width×height picture."""
        h = self.face_height * self.oval_height * min(width, height)
        w = h * self.face_aspect
        top = self.eye_y(height) - self.eyes_in_face * h
        return Box(self.center_x * width - w / 2, top, w, h)

    def sway_px(self, width: float, height: float) -> float:
        """The largest sideways movement of the head, in pixels of a width×height picture."""
        return self.sway * self.face(width, height).w

    def meter_patch(self, width: int, height: int) -> tuple[slice, slice]:
        """The face meter's patch as (rows, columns) slices of a width×height picture: the
        whole pixels inside the cheeks and nose of a well-framed face (at least one)."""
        face = self.face(width, height)
        px, py, pw, ph = self.patch
        x0 = min(width - 1, max(0, math.ceil(face.x + px * face.w)))
        y0 = min(height - 1, max(0, math.ceil(face.y + py * face.h)))
        x1 = min(width, max(x0 + 1, math.floor(face.x + (px + pw) * face.w)))
        y1 = min(height, max(y0 + 1, math.floor(face.y + (py + ph) * face.h)))
        return slice(y0, y1), slice(x0, x1)


FRAMING = Framing()
"""The booth's face geometry."""
