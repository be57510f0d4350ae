"""booth: a self-service recording booth for pre-recorded video interviews."""

__version__ = "0.1.0"

import os as _os

# pygame prints a greeting on import; a kiosk and a CLI have no use for it.
_os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
