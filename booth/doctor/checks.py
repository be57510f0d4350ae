"""`booth doctor`'s checks of the board and its parts: each one small, taking what it reads.

Every check returns a `Check`: pass, warn or fail, what was seen, and one line telling staff
what to do; or skip, for what it did not check (a Pi's firmware flags on another computer),
which never passes. The paths each check reads are arguments, so tests point them at temporary
trees laid out like /sys; `booth.doctor.checkup` composes the checks for a booth's settings.
The camera, microphone and server checks live in `booth.doctor.device_checks` and
`booth.doctor.server_check`.
"""

from __future__ import annotations

import os
import stat
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gpiozero import LED, Button
from gpiozero.exc import BadPinFactory, PinFactoryFallback
from gpiozero.pins import Factory

from booth.config.check import HELP_FIX, help_gaps
from booth.config.codes import names_in_clear
from booth.config.settings import Buttons, Devices, LightSettings, Recording, Settings
from booth.devices.choice import choose_display, read_connectors
from booth.devices.display import KMSDRM_FIX, sdl_library
from booth.devices.hw_pwm import SYSFS_PWM
from booth.devices.light import light_driver_name, open_ring_light
from booth.devices.world import WorldChecks
from booth.kiosk.health import DiskGuard
from booth.light.curve import CurveError, load_curve
from booth.light.record import (
    MISSING_WARN,
    curve_missing_light,
    missing_light_text,
    read_light_state,
)
from booth.media.spool import disk_free_bytes
from booth.metrics import board
from booth.privacy.age import AGE_FIX, age_installed
from booth.privacy.scratch import (
    PROC_MEMINFO,
    PROC_MOUNTS,
    choose_scratch,
    mount_of,
)
from booth.timesync import TIMESYNC_FLAG, WAITING_FOR_CLOCK, kernel_clock_synchronized

PASS, SKIP, WARN, FAIL = "pass", "skip", "warn", "fail"
# A part not checked is worse than one that passed (no one knows), better than a problem seen.
SEVERITY = {PASS: 0, SKIP: 1, WARN: 2, FAIL: 3}

THERMAL = Path("/sys/class/thermal")
THERMAL_ZONE = THERMAL / "thermal_zone0/temp"
WARN_CELSIUS = 70.0
"""The Pi 4 and 5 start to throttle at 80 °C (85 °C hard): 70 °C leaves no headroom for a
summer afternoon in a closed booth."""
FAIL_CELSIUS = 80.0
HWMON = Path("/sys/class/hwmon")
"""The kernel's raspberrypi-hwmon driver ("rpi_volt", on the Pi 4 and the Pi 5) asks the
firmware for its throttle flags every 2 s and raises `in0_lcrit_alarm` while the supply is
under-voltage. (The firmware's own sysfs `get_throttled` exists only on a Pi 4, and reading it
logs a kernel WARNING with a backtrace.)"""
SYS_DRM = Path("/sys/class/drm")
DEV_DRI = Path("/dev/dri")

# The firmware's throttle flags (vcgencmd get_throttled): bits 0-3 now, 16-19 since boot.
THROTTLE_FLAGS = {
    0: "under-voltage",
    1: "ARM frequency capped",
    2: "throttled",
    3: "soft temperature limit",
}
UNDERVOLTAGE_BITS = (1 << 0) | (1 << 16)
HEAT_BITS = (1 << 3) | (1 << 19)
POWER_FIX = (
    "use the official power supply (Pi 4: 5.1 V 3 A, Pi 5: 5.1 V 5 A) on its own cable, and "
    "power the ring light from its own supply, not from the Pi"
)
COOLING_FIX = "give the Pi a heatsink or fan and keep the case's vents free"


@dataclass(frozen=True)
class Check:
    """One verdict: `check` (camera, microphone, …), `result` (pass, warn or fail; skip when it
    was not checked), `detail` (what was seen, or why it was not checked, for staff), `fix`
    (what to do; None when nothing needs doing)."""

    check: str
    result: str
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def worst(*results: str) -> str:
    """The worst of some results (fail over warn over skip over pass)."""
    return max(results, key=SEVERITY.__getitem__, default=PASS)


# ------------------------------------------------------------------------ board
def cpu_thermal_zone(thermal: Path = THERMAL) -> Path:
    """The SoC's temperature file: the thermal zone of type "cpu-thermal" (zone 0 on the Pi 4
    and Pi 5 today; looked up by type so that another zone added first does not fool it)."""
    for zone in sorted(thermal.glob("thermal_zone*")):
        try:
            if (zone / "type").read_text().strip() == "cpu-thermal":
                return zone / "temp"
        except OSError:
            continue
    return thermal / "thermal_zone0/temp"


def temperature_check(on_pi: bool, zone: Path = THERMAL_ZONE) -> Check:
    """The SoC temperature from the kernel's thermal zone (millidegrees Celsius)."""
    try:
        celsius = int(zone.read_text().strip()) / 1000
    except (OSError, ValueError):
        if not on_pi:
            return Check("temperature", SKIP, f"no temperature sensor at {zone} (not a Pi)")
        return Check(
            "temperature", WARN, f"cannot read {zone}", "update Raspberry Pi OS (the kernel)"
        )
    detail = f"{celsius:.1f} °C"
    if celsius >= FAIL_CELSIUS:
        return Check("temperature", FAIL, f"{detail}: the Pi is throttling", COOLING_FIX)
    if celsius >= WARN_CELSIUS:
        return Check("temperature", WARN, f"{detail}: close to throttling (80 °C)", COOLING_FIX)
    return Check("temperature", PASS, detail)


# The fleet metrics' own board readers: the doctor and the metrics read each sensor one way.
read_undervoltage = board.under_voltage
read_throttled = board.throttled_flags


def throttling_check(on_pi: bool, flags: int | None, undervoltage: bool | None = None) -> Check:
    """Under-voltage and throttling: the rpi_volt alarm (`read_undervoltage`) and the
    firmware's flags (`read_throttled`), either of which may be missing. A condition now
    fails, one that happened since boot warns.

    While raspberrypi-hwmon runs it clears the firmware's sticky under-voltage bit every 2 s,
    so vcgencmd's "since boot" under-voltage is only that recent: the kernel logs each event
    ("Undervoltage detected!", `journalctl -k`)."""
    if not on_pi:
        return Check("throttling", SKIP, "not a Pi")
    if flags is None and undervoltage is None:
        return Check(
            "throttling",
            WARN,
            "cannot read under-voltage or throttling (no rpi_volt hwmon sensor, no vcgencmd)",
            "install vcgencmd: sudo apt install raspi-utils",
        )
    bits = flags or 0
    if undervoltage:
        bits |= 1 << 0
    now = [name for bit, name in THROTTLE_FLAGS.items() if bits & (1 << bit)]
    past = [name for bit, name in THROTTLE_FLAGS.items() if bits & (1 << (bit + 16))]
    sources = ", ".join(
        name
        for name, answered in (("rpi_volt alarm", undervoltage), ("vcgencmd", flags))
        if answered is not None
    )
    if not now and not past:
        return Check("throttling", PASS, f"no under-voltage or throttling ({sources})")
    parts = []
    if now:
        parts.append("now: " + ", ".join(now))
    if past:
        parts.append("since boot: " + ", ".join(past))
    fixes = []
    if bits & UNDERVOLTAGE_BITS:
        fixes.append(POWER_FIX)
    if bits & HEAT_BITS:
        fixes.append(COOLING_FIX)
    fix = "; ".join(fixes) or f"{POWER_FIX}; {COOLING_FIX}"
    shown = f"{flags:#x}, " if flags is not None else ""
    return Check("throttling", FAIL if now else WARN, f"{'; '.join(parts)} ({shown}{sources})", fix)


def display_check(
    world: WorldChecks,
    drm: Path = SYS_DRM,
    dev_dri: Path = DEV_DRI,
    sdl_drivers: Sequence[str] | None = None,
    connector: str = "auto",
) -> Check:
    """SDL's KMSDRM driver, a KMS/DRM device, and the connector the kiosk draws on, chosen as
    the kiosk chooses it (`booth.devices.choice.choose_display`, `[display] connector`).

    sdl_drivers: the video drivers of pygame's SDL (`booth.devices.display.sdl_video_drivers`);
    the kiosk draws with "kmsdrm", which PyPI's pygame wheels lack. world: whether the world
    has a screen of its own to check."""
    if not world.screen:
        return Check("display", SKIP, world.not_checked)
    if sdl_drivers is not None and "kmsdrm" not in sdl_drivers:
        library = sdl_library()
        return Check(
            "display",
            FAIL,
            f"pygame's SDL ({library or 'not found'}) has no KMSDRM video driver "
            f"({', '.join(sdl_drivers) or 'no drivers found'}): the kiosk cannot draw",
            KMSDRM_FIX,
        )
    if not sorted(dev_dri.glob("card*")):
        return Check(
            "display",
            FAIL,
            f"no display device ({dev_dri}/card*)",
            "enable KMS: dtoverlay=vc4-kms-v3d in /boot/firmware/config.txt, then reboot",
        )
    connectors = read_connectors(drm)
    choice = choose_display(connectors, connector)
    if choice.error is None:
        return Check(
            "display",
            PASS,
            f"the kiosk draws on {choice.connector} (card {choice.card}, SDL display "
            f"{choice.sdl_display}): {choice.why}",
        )
    screen_fix = (
        "check the screen's power and cable (a Pi 4's HDMI 0 is the port next to the power "
        "socket), then restart the kiosk: sudo systemctl restart booth-kiosk"
    )
    if connector != "auto":
        return Check("display", FAIL, choice.error, screen_fix)
    if any(c.status == "unknown" and c.kind != "Writeback" for c in connectors):
        return Check("display", WARN, f"the screen's connection is unknown ({choice.error})",
                     screen_fix)  # fmt: skip
    return Check("display", FAIL, choice.error, screen_fix)


# ------------------------------------------------------------------------ clock
def ntp_synchronized(
    timedatectl: str = "timedatectl", timesync_flag: Path = TIMESYNC_FLAG
) -> tuple[bool | None, str]:
    """Whether the clock is synchronised, and who said so: systemd-timesyncd's flag file (what
    systemd-time-wait-sync, and so the upload agent, waits for), else systemd's "timedatectl",
    else the "kernel" (adjtimex)."""
    if timesync_flag.exists():
        return True, "systemd-timesyncd"
    try:
        done = subprocess.run(
            [timedatectl, "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        answer = done.stdout.strip()
        if done.returncode == 0 and answer in ("yes", "no"):
            return answer == "yes", "timedatectl"
    except (OSError, subprocess.SubprocessError):
        pass
    return kernel_clock_synchronized(), "kernel"


CLOCK_FIX = (
    "connect the network and let NTP set the clock: timedatectl timesync-status names the "
    "server it asks (UDP port 123 must be open; set NTP= in /etc/systemd/timesyncd.conf to "
    "your organisation's server if the default is blocked); the Pi has no battery clock, so "
    "after a power cut the time is wrong, and uploads wait, until NTP answers"
)


def clock_check(synchronized: bool | None, source: str) -> Check:
    """Session times, opening hours and https certificates all need the right time, and the
    upload agent waits for it (booth-sync.service starts after time-sync.target): a clock
    known to be unsynchronised fails, whoever says so."""
    if synchronized:
        return Check("clock", PASS, f"synchronised ({source})")
    if synchronized is None:
        return Check("clock", WARN, "cannot tell whether the clock is synchronised", CLOCK_FIX)
    said = "NTPSynchronized=no" if source == "timedatectl" else "the kernel's clock flag"
    return Check(
        "clock",
        FAIL,
        f"not synchronised ({source}: {said}); {WAITING_FOR_CLOCK} before uploading",
        CLOCK_FIX,
    )


# ------------------------------------------------------------------------- disk
def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def disk_check(spool: Path, interviews: Sequence[Any], recording: Recording) -> Check:
    """Free disk against the largest interview's worst case: the kiosk's own disk guard."""
    health = DiskGuard(
        spool,
        interviews,
        recording.bitrate_bps,
        recording.audio_rate,
        recording.disk_margin_bytes,
    )
    free = disk_free_bytes(spool)
    if not health.budgets:
        return Check(
            "disk",
            WARN,
            f"{_gb(free)} free in {spool}; no interview installed to size a session by",
            "install an interview: booth interviews add DIR",
        )
    fault = health.disk_fault()
    if fault is not None:
        return Check(
            "disk",
            FAIL,
            fault.detail,
            "let the sync agent upload (booth sync --once), or free space on the disk",
        )
    need = max(health.budgets.values())
    return Check("disk", PASS, f"{_gb(free)} free in {spool}; a session needs at most {_gb(need)}")


# ---------------------------------------------------------------------- privacy
PRIVACY_FIX = (
    'set [privacy] recipients = ["age1…"] to the organisation\'s age public key '
    '(age-keygen -y key.txt on the organisation\'s computer; README "Privacy")'
)


def privacy_check(recipients: Sequence[str], interviews: Sequence[Any] = ()) -> Check:
    """Whether finished sessions are encrypted: without recipients a stolen card shows every
    take not yet deleted and the candidates' references; with them, whether the age command
    is there to seal, and whether installed invitations still name candidates in clear."""
    if not recipients:
        return Check(
            "privacy",
            WARN,
            "no [privacy] recipients: takes are stored in clear on this booth",
            PRIVACY_FIX,
        )
    count = len(recipients)
    if not age_installed():
        return Check(
            "privacy",
            FAIL,
            "the age command is not installed: finished sessions cannot be sealed, and stay on "
            "this booth in clear, unsent",
            AGE_FIX,
        )
    in_clear = [iv.id for iv in interviews if names_in_clear(iv.codes)]
    if in_clear:
        return Check(
            "privacy",
            WARN,
            f"the invitations of {', '.join(in_clear)} name candidates in clear (installed "
            "before recipients were set; the kiosk seals them when it starts)",
            "make paths.interviews writable by the booth's user and restart the kiosk "
            "(sudo systemctl restart booth-kiosk), or install the codes again "
            "(booth interviews codes ID --codes FILE)",
        )
    return Check(
        "privacy",
        PASS,
        f"finished sessions are encrypted to {count} age recipient{'s' * (count != 1)}",
    )


def help_check(settings: Settings) -> Check:
    """Whether the help screen tells candidates how to reach staff ([help])."""
    gaps = help_gaps(settings)
    if gaps:
        return Check("help", WARN, "[help] " + "; ".join(gaps), HELP_FIX)
    help_ = settings.help
    shown = []
    if help_.text:
        shown.append("text (" + (", ".join(help_.text) if "" not in help_.text else "all") + ")")
    if help_.phone:
        shown.append(f"phone {help_.phone}")
    if help_.location:
        shown.append("where staff are")
    return Check("help", PASS, "the help screen shows " + ", ".join(shown))


def spool_access_check(spool: Path) -> Check:
    """Whether users other than the booth's can read the spool: its folder's mode, and whether
    its file system keeps file modes at all (a FAT or exFAT card mounted with a umask makes
    every file readable whatever the booth asks for)."""
    fix = f"chmod o-rwx {spool}, and keep the spool on a Linux file system (ext4), not FAT/exFAT"
    if not spool.is_dir():
        return Check(
            "spool access", SKIP, f"{spool} does not exist yet (made at the first session)"
        )
    mode = stat.S_IMODE(spool.stat().st_mode)
    probe = spool / f".doctor-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        os.chmod(probe, 0o600)
        probe_mode = stat.S_IMODE(probe.stat().st_mode)
    except OSError as error:
        probe_mode = None
        why = error.strerror
    finally:
        probe.unlink(missing_ok=True)
    if probe_mode is not None and probe_mode & 0o007:
        return Check(
            "spool access",
            WARN,
            f"the file system of {spool} ignores file modes: a 0600 file shows as "
            f"{probe_mode:04o}, so others can read every take",
            fix,
        )
    if mode & 0o007:
        return Check("spool access", WARN, f"{spool} is readable by others (mode {mode:04o})", fix)
    if probe_mode is None:
        return Check("spool access", WARN, f"cannot write a test file in {spool}: {why}", fix)
    return Check("spool access", PASS, f"others cannot read {spool} (mode {mode:04o})")


def scratch_check(scratch: Path, mounts: Path = PROC_MOUNTS) -> Check:
    """`[paths] scratch` is there to keep running sessions off the card: it must be in RAM."""
    mount = mount_of(scratch, mounts)
    if mount is None:
        return Check("scratch", WARN, f"cannot read {mounts}", None)
    if mount.in_ram:
        return Check("scratch", PASS, f"{scratch} is in RAM ({mount.fstype} on {mount.point})")
    return Check(
        "scratch",
        WARN,
        f"{scratch} is on {mount.fstype or 'an unknown file system'} ({mount.device or '?'} on "
        f"{mount.point or '?'}), not in RAM: running sessions reach the disk in clear",
        f"mount a tmpfs there, e.g. in /etc/fstab: tmpfs {scratch} tmpfs "
        "mode=0700,uid=booth,size=1G 0 0",
    )


def running_sessions_check(
    settings: Settings,
    need_bytes: int,
    mounts: Path = PROC_MOUNTS,
    meminfo: Path = PROC_MEMINFO,
) -> Check:
    """Where running sessions and practice takes (in clear) go: in RAM, or on the card only
    when RAM is short (booth.privacy.scratch), for a session that may hold `need_bytes`."""
    choice = choose_scratch(settings, need_bytes, mounts, meminfo)
    if choice.folder is not None and choice.on_card is None and not choice.in_ram:
        return scratch_check(choice.folder, mounts)  # a [paths] scratch staff put on a disk
    if choice.running_in_ram:
        return Check("scratch", PASS, f"running sessions {choice.detail}")
    return Check(
        "scratch",
        WARN,
        f"running sessions and practice takes go to the card in clear: {choice.on_card}",
        choice.fix,
    )


PROC_SWAPS = Path("/proc/swaps")
SWAP_FIX = (
    "turn swap on the card off: sudo deploy/install.sh --system (Raspberry Pi OS's "
    "dphys-swapfile: masked, /var/swap removed); a swap partition: sudo swapoff it and drop "
    "its line from /etc/fstab. Swap in compressed RAM (zram) is fine"
)


def disk_swaps(swaps: Path = PROC_SWAPS) -> list[str] | None:
    """The swap areas on a disk (every one but zram's compressed RAM); None when unreadable."""
    try:
        lines = swaps.read_text().splitlines()[1:]
    except OSError:
        return None
    names = [line.split()[0].replace("\\040", " ") for line in lines if line.strip()]
    return [name for name in names if not Path(name).name.startswith("zram")]


def swap_check(recipients: Sequence[str], swaps: Path = PROC_SWAPS) -> Check:
    """With recipients, no swap on the card: the kernel may write any page of RAM there,
    a running session's takes in the RAM scratch among them, where sealing never reaches."""
    found = disk_swaps(swaps)
    if found is None:
        return Check("swap", WARN, f"cannot read {swaps}", None)
    if not found:
        return Check("swap", PASS, "no swap on a disk")
    where = ", ".join(found)
    if not recipients:
        return Check(
            "swap", PASS, f"swap on {where} (takes are in clear anyway: no [privacy] recipients)"
        )
    return Check(
        "swap",
        FAIL,
        f"swap on {where}: RAM holding running sessions in clear can be written there",
        SWAP_FIX,
    )


# ------------------------------------------------------------- light and buttons
def light_check(
    light: LightSettings,
    devices: Devices,
    state_dir: Path,
    pin_factory: Factory | None = None,
    sysfs: Path = SYSFS_PWM,
) -> Check:
    """The ring light's driver opens (gpiozero pin, or the sysfs PWM chip), and its
    calibration curve is in the state directory (a warning without: the light still follows
    the camera, only more slowly)."""
    where = (
        f"GPIO{devices.light_pin} at {devices.light_frequency_hz} Hz (gpiozero)"
        if light_driver_name(light, devices.light_pin, sysfs) == "gpiozero"
        else f"GPIO{devices.light_pin} on {sysfs} (sysfs PWM)"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PinFactoryFallback)
            ring = open_ring_light(
                light, devices.light_pin, devices.light_frequency_hz, pin_factory, sysfs
            )
    except Exception as error:  # PwmError, or any of gpiozero's pin errors
        return Check(
            "light",
            FAIL,
            f"cannot drive the light on {where}: {_why(error)}",
            _pin_fix(
                error,
                "check [devices] light_pin and [light] driver; stop anything else using the pin",
            ),
        )
    led = getattr(ring.driver, "led", None)
    if led is not None:
        where += f", pin factory {factory_name(led.pin_factory)}"
    ring.close()
    return with_curve(Check("light", PASS, f"driver opens: {where}"), state_dir, light)


PIN_FACTORIES = {
    "LGPIOFactory": "lgpio",
    "RPiGPIOFactory": "rpigpio",
    "PiGPIOFactory": "pigpio",
    "NativeFactory": "native",
    "MockFactory": "mock",
}


def factory_name(factory: Factory | None) -> str:
    """gpiozero's pin factory in staff words: "lgpio" (what a booth should use: Raspberry Pi
    OS's python3-lgpio, every Pi model, PWM included), "native" (gpiozero's fallback, no PWM)…"""
    kind = type(factory).__name__
    return f"{PIN_FACTORIES.get(kind, kind)} ({kind})"


CALIBRATE_FIX = "booth light calibrate (with the kiosk stopped)"


def with_curve(check: Check, state_dir: Path, light: LightSettings | None = None) -> Check:
    """`check` of the light's driver, with whether its calibration curve is stored and, for
    `light`'s target, whether the ring can light the face enough: in the room as the running
    kiosk measures it now (its light record), else as it was when the curve was measured."""
    # A driver that fails needs its own fix first; otherwise a missing curve needs calibrating.
    fix = (check.fix if check.result == FAIL else None) or CALIBRATE_FIX
    try:
        curve = load_curve(state_dir)
    except CurveError as error:
        return Check("light", worst(check.result, WARN), f"{check.detail}; {error}", fix)
    if curve is None:
        return Check(
            "light",
            worst(check.result, WARN),
            f"{check.detail}; not calibrated (no curve in {state_dir})",
            fix,
        )
    when = f", measured {curve.measured}" if curve.measured else ""
    detail = f"{check.detail}; calibrated{when}"
    missing, where = None, ""
    record = read_light_state(state_dir)
    if record is not None and record.fresh and record.missing_light_pct is not None:
        missing, where = record.missing_light_pct / 100.0, "the room now, as the kiosk measures it"
    elif light is not None:
        missing, where = curve_missing_light(curve, light), "the room when it was calibrated"
    if missing is not None and missing > MISSING_WARN:
        return Check(
            "light",
            worst(check.result, WARN),
            f"{detail}; {missing_light_text(missing)} ({where})",
            check.fix or "more light at the face: see above; then booth light calibrate",
        )
    if missing is not None:
        detail += f"; the ring covers {where}"
    return Check("light", check.result, detail, check.fix)


def buttons_check(buttons: Buttons, pin_factory: Factory | None = None) -> Check:
    """Each button's and LED's pin can be claimed; a button that reads pressed at rest is
    stuck or wired to 3V3 instead of ground."""
    pins = {"record": buttons.record, "next": buttons.next, "back": buttons.back}
    leds = {
        f"{name} LED": pin
        for name, pin in (
            ("record", buttons.record_led),
            ("next", buttons.next_led),
            ("back", buttons.back_led),
        )
        if pin is not None
    }
    # gpiozero warns about each pin library it tries; the check reports the outcome itself.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PinFactoryFallback)
        return _claim_buttons(pins, leds, pin_factory)


def _claim_buttons(
    pins: dict[str, int], leds: dict[str, int], pin_factory: Factory | None
) -> Check:
    opened: list[Any] = []
    pressed = []
    try:
        for name, pin in pins.items():
            try:
                button = Button(pin, pull_up=True, pin_factory=pin_factory)
            except Exception as error:
                return _pin_failure(name, pin, error)
            opened.append(button)
            if button.is_pressed:
                pressed.append(f"{name} (GPIO{pin})")
        for name, pin in leds.items():
            try:
                opened.append(LED(pin, pin_factory=pin_factory))
            except Exception as error:
                return _pin_failure(name, pin, error)
    finally:
        for device in opened:
            device.close()
    claimed = ", ".join(f"{name} GPIO{pin}" for name, pin in {**pins, **leds}.items())
    claimed += f"; pin factory {factory_name(opened[0].pin_factory)}" if opened else ""
    if pressed:
        return Check(
            "buttons",
            WARN,
            f"{', '.join(pressed)} reads pressed at rest ({claimed})",
            "check the button's wiring: pin to one contact, ground (not 3V3) to the other",
        )
    return Check("buttons", PASS, f"pins claimed: {claimed}")


def _pin_failure(name: str, pin: int, error: Exception) -> Check:
    return Check(
        "buttons",
        FAIL,
        f"cannot claim the {name} pin GPIO{pin}: {_why(error)}",
        _pin_fix(
            error,
            "check [devices.buttons]; stop anything else using the pin (is the kiosk running?)",
        ),
    )


def _pin_fix(error: Exception, otherwise: str) -> str:
    if isinstance(error, BadPinFactory):
        return (
            "gpiozero finds no GPIO library: sudo apt install python3-lgpio, with the venv "
            'made by deploy/install.sh (--system-site-packages); off a Pi use backend = "sim"'
        )
    return otherwise


def _why(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
