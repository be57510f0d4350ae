"""Keep the kiosk's memory flat while frames of several megabytes come and go.

Each camera frame, preview and encoder buffer is allocated and freed again many
times a second. glibc serves blocks above its mmap threshold with mmap and gives
them back at once, but it raises that threshold after each such free (up to
32 MB), so soon the frames land in the heap, which fragments and keeps its high
water mark. A fixed threshold of 1 MiB keeps every frame-sized block mmapped.
Measured with `booth simulate` at 1920x1080 (bench/take_memory.py): peak RSS during
a take 232 MB with glibc's default, 192 MB with this.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("booth.memory")

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)
FRAME_SIZED_BYTES = 1024 * 1024


def keep_frames_out_of_the_heap() -> bool:
    """Fix glibc's mmap threshold at 1 MiB; False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = mallopt(M_MMAP_THRESHOLD, FRAME_SIZED_BYTES) == 1
    if not done:
        log.warning("mallopt(M_MMAP_THRESHOLD) refused; memory may grow with fragmentation")
    return done
