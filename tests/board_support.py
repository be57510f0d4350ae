"""The board profiles in tests/boards/ (what real Pis show), and the part of the kernel's PWM
sysfs that a tree of plain files cannot show: which writes the kernel refuses.

Each profile is `tests/boards/<name>/root` (the files, laid out as on the Pi),
`expected.json` (the choice `booth devices --json` must make there) and README.md (where each
fact comes from).
"""

from __future__ import annotations

import errno
import json
import re
import shutil
from pathlib import Path
from typing import Any

BOARDS = Path(__file__).parent / "boards"
PROFILES = sorted(p.name for p in BOARDS.iterdir() if (p / "root").is_dir())


def profile_root(name: str) -> Path:
    return BOARDS / name / "root"


def expected(name: str) -> dict[str, Any]:
    return json.loads((BOARDS / name / "expected.json").read_text())


def copy_profile(name: str, into: Path) -> Path:
    """A writable copy of a profile's root (links kept as links), for tests that write sysfs."""
    target = into / name
    shutil.copytree(profile_root(name), target, symlinks=True)
    return target


class KernelPwm:
    """The kernel's answer to writes into /sys/class/pwm/pwmchipN, as drivers/pwm/core.c and
    sysfs.c give it, for one kernel release.

    `export` creates `pwmM/` with period 0, duty_cycle 0, enable 0: pwm-bcm2835 and pwm-rp1
    have no get_state, so the kernel knows no period for a fresh channel. Each write of period,
    duty_cycle or enable applies the whole new state: on kernels before 6.11 `__pwm_apply`
    refuses a state with period 0 or duty_cycle > period with -EINVAL, enabled or not; from
    6.11 a disabled state with period 0 is accepted. The write then fails like the kernel's:
    OSError(EINVAL), and the file keeps its old value.
    """

    def __init__(self, release: str) -> None:
        match = re.match(r"(\d+)\.(\d+)", release)
        assert match, release
        self.version = (int(match[1]), int(match[2]))
        self.writes: list[tuple[str, str]] = []
        self.refused: list[tuple[str, str]] = []

    def write(self, path: Path, text: str) -> int:
        self.writes.append((path.name, text))
        if path.name == "export":
            channel = path.parent / f"pwm{int(text)}"
            channel.mkdir(exist_ok=True)
            for name in ("period", "duty_cycle", "enable"):
                (channel / name).write_text("0\n")
            return len(text)
        if path.name not in ("period", "duty_cycle", "enable"):
            return path.write_text(text)
        channel = path.parent
        state = {n: int((channel / n).read_text().strip() or 0) for n in ("period", "duty_cycle")}
        state["enable"] = int((channel / "enable").read_text().strip() or 0)
        state[path.name] = int(text)
        if not self.valid(state["period"], state["duty_cycle"], bool(state["enable"])):
            self.refused.append((path.name, text))
            raise OSError(errno.EINVAL, "Invalid argument", str(path))
        return path.write_text(text)

    def valid(self, period: int, duty: int, enabled: bool) -> bool:
        if self.version < (6, 11):
            return period > 0 and duty <= period
        if not enabled and period == 0:
            return True
        return period > 0 and duty <= period
