"""The kiosk's colours.

A calm dark theme: the screen sits a hand's width below the lens, so a dark
background does not light the candidate's face from below, and the live preview
stands out. Every text colour is chosen so that its contrast with every
background it is drawn on is at least 4.5:1 (WCAG 2.1, level AA for body text):
tests/test_ui_render.py lists those pairs and checks each one.
"""

from __future__ import annotations

Color = tuple[int, int, int]

BACKGROUND: Color = (16, 27, 41)
PANEL: Color = (30, 45, 64)  # cards, the clip area, the meter's track
TEXT: Color = (245, 247, 250)
TEXT_MUTED: Color = (196, 207, 220)  # secondary lines: hints, labels
WARNING: Color = (255, 200, 100)  # messages the candidate must act on (amber, not red)
PRIMARY: Color = (26, 95, 180)  # the button that moves the candidate forward
SECONDARY: Color = (52, 72, 97)
DISABLED: Color = (34, 48, 66)
DISABLED_TEXT: Color = (160, 174, 190)
OUTLINE: Color = (120, 140, 165)  # button and panel edges (non-text: needs 3:1)
REC_RED: Color = (229, 57, 53)  # the recording dot; always with the word "Recording" beside it
GUIDE: Color = (255, 255, 255)  # framing guide drawn over the preview
LOOK_HERE: Color = (255, 200, 100)
METER_GOOD: Color = (90, 190, 110)
METER_LOUD: Color = (229, 57, 53)
METER_QUIET: Color = (150, 160, 175)
