"""Where a running session's clear takes live: in RAM, or on the card only when RAM is short.

While a session runs its takes are in clear (the candidate reviews them). On an SD card,
deleting a file does not erase its flash pages, so a clear take written there can be carved
from the raw card long after it was sealed. With `[privacy] recipients` running sessions and
practice takes therefore live in RAM by default: `/run/booth`, the kiosk unit's own runtime
directory (`RuntimeDirectory=booth`) on the `run-booth.mount` tmpfs that deploy/install.sh
installs. `[paths] scratch` names another folder.

A session starts in the RAM scratch when it can hold a whole session of the largest installed
interview in clear (every take at full length, as the disk guard counts it): the tmpfs has
that much room left and the kernel that much memory available, at that moment. Otherwise it
goes to the spool on the card, and `booth doctor` and `booth status` say so and why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from booth.config.settings import Settings

RAM_SCRATCH = Path("/run/booth")
"""The default scratch with recipients: the kiosk unit's RuntimeDirectory, a tmpfs."""
PROC_MOUNTS = Path("/proc/mounts")
PROC_MEMINFO = Path("/proc/meminfo")
RAM_FILESYSTEMS = ("tmpfs", "ramfs")
RAM_FIX = (
    "free RAM, record at a smaller [recording] bitrate or size, or shorten the largest "
    "interview's answers; then restart the kiosk (sudo systemctl restart booth-kiosk)"
)
MOUNT_FIX = (
    "set up the RAM scratch with sudo deploy/install.sh (run-booth.mount, a tmpfs on "
    "/run/booth), then restart the kiosk (sudo systemctl restart booth-kiosk)"
)


@dataclass(frozen=True)
class Mount:
    """The mount a path is on: its device, mount point and file system type."""

    device: str
    point: str
    fstype: str

    @property
    def in_ram(self) -> bool:
        return self.fstype in RAM_FILESYSTEMS


@dataclass(frozen=True)
class ScratchChoice:
    """Where new running sessions go.

    folder: the scratch folder that may hold running sessions (where to look for them), or
      None: there is none (no recipients, no `[paths] scratch`, or the RAM folder is missing).
    on_card: None when new sessions go to `folder`; else why they go to the spool on the card.
    detail: one line for staff (`booth status`, `booth doctor`).
    """

    folder: Path | None
    on_card: str | None
    detail: str
    in_ram: bool = False
    fix: str | None = None
    """What staff do about running sessions on the card."""

    @property
    def running_in_ram(self) -> bool:
        return self.folder is not None and self.on_card is None and self.in_ram


def scratch_folder(settings: Settings) -> Path | None:
    """The scratch folder the settings ask for: `[paths] scratch`, else the RAM scratch when
    sessions are sealed (`[privacy] recipients`), else None."""
    if settings.paths.scratch is not None:
        return settings.paths.scratch
    return RAM_SCRATCH if settings.privacy.recipients else None


def mount_of(path: Path, mounts: Path = PROC_MOUNTS) -> Mount | None:
    """The mount holding `path` (or its nearest existing parent), from a mount table; None
    when the table cannot be read."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    real = os.path.realpath(probe)
    best = Mount("", "", "")
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best.point):
            best = Mount(fields[0], point, fields[2])
    return best


def memory_available(meminfo: Path = PROC_MEMINFO) -> int | None:
    """The kernel's estimate of memory available without swapping (MemAvailable), in bytes."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def choose_scratch(
    settings: Settings,
    need_bytes: int,
    mounts: Path = PROC_MOUNTS,
    meminfo: Path = PROC_MEMINFO,
) -> ScratchChoice:
    """Where the next running session goes, for one that may need `need_bytes` in clear."""
    folder = scratch_folder(settings)
    if folder is None:
        return ScratchChoice(None, "no scratch", "in the spool (no [privacy] recipients)")
    explicit = settings.paths.scratch is not None
    if not explicit and not folder.is_dir():
        why = f"the RAM scratch {folder} does not exist"
        return ScratchChoice(None, why, f"ON THE CARD: {why}", fix=MOUNT_FIX)
    mount = mount_of(folder, mounts)
    if mount is None or not mount.in_ram:
        seen = f"{mount.fstype or 'an unknown file system'}" if mount else "an unreadable mount"
        if explicit:
            # Staff chose this folder; `booth doctor` warns that it is not in RAM.
            return ScratchChoice(folder, None, f"{folder} is on {seen}, NOT in RAM")
        why = f"{folder} is on {seen}, not in RAM"
        return ScratchChoice(None, why, f"ON THE CARD: {why}", fix=MOUNT_FIX)
    usage = os.statvfs(folder if folder.is_dir() else mount.point)
    room = usage.f_bavail * usage.f_frsize
    available = memory_available(meminfo)
    if available is not None:
        # tmpfs pages are RAM: its size is a limit, not a reservation.
        room = min(room, available)
    if room < need_bytes:
        why = (
            f"RAM is short: {_size(room)} free for {folder} ({mount.fstype}), but a session "
            f"may need {_size(need_bytes)} in clear"
        )
        return ScratchChoice(folder, why, f"ON THE CARD: {why}", in_ram=True, fix=RAM_FIX)
    return ScratchChoice(
        folder,
        None,
        f"in RAM: {folder} ({mount.fstype}, {_size(room)} free; a session may need "
        f"{_size(need_bytes)})",
        in_ram=True,
    )
