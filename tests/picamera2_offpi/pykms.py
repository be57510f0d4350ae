"""Stand-in for pykms, the Python bindings of kmsxx (Raspberry Pi OS's python3-kms++).

picamera2 imports it at import time for its DRM preview (picamera2/previews/drm_preview.py
reads a few `PixelFormat` names into a class attribute); the booth never opens that preview, and
pykms is not on PyPI nor in Debian 12. This module only lets that import succeed: any use of
its names beyond `PixelFormat.<name>` fails, as it should off a Pi.
"""


class _Names(type):
    def __getattr__(cls, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return name


class PixelFormat(metaclass=_Names):
    """`PixelFormat.RGB888` and the like, as plain names."""
