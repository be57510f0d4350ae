"""booth: a self-service recording booth for pre-recorded video interviews."""

__version__ = "0.1.0"
