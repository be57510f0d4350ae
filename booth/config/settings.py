"""Booth settings: what one booth is made of and how it behaves (`/etc/booth/booth.toml`).

`load_settings` returns built-in defaults when there is no file, and otherwise checks every key,
raising `ConfigError` with all problems at once. config/booth.example.toml documents each key.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pyrage import RecipientError
from pyrage.x25519 import Recipient

from booth.config.errors import ConfigError
from booth.config.hours import WEEKDAYS, OpeningHours, parse_day
from booth.config.reader import IntRange, Table, read_toml
from booth.session.timing import Timing

PI_MODEL_FILE = Path("/proc/device-tree/model")
LANGUAGE = re.compile(r"[a-z]{2,3}")
BOOTH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# BCM GPIO numbers on the 40-pin header.
GPIO: IntRange = {"minimum": 2, "maximum": 27}


def detect_backend(model_file: Path = PI_MODEL_FILE) -> str:
    """`"pi"` on a Raspberry Pi (per the device tree's model string), else `"sim"`."""
    try:
        return "pi" if "Raspberry Pi" in model_file.read_text(errors="replace") else "sim"
    except OSError:
        return "sim"


@dataclass(frozen=True)
class Display:
    """The candidate's screen: its video mode in pixels, how it is mounted, fullscreen or not,
    and which connector it is on: "auto" (a DSI/DPI panel first, then an HDMI port with a
    screen that sent its EDID, then a forced HDMI port; `booth devices` shows the choice) or a
    DRM connector's name, e.g. "DSI-1" or "HDMI-A-1"."""

    width: int = 800
    height: int = 480
    rotation: int = 0  # degrees clockwise the picture is turned to match the mounting
    fullscreen: bool = True
    connector: str = "auto"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels, as pygame.display.set_mode wants it."""
        return (self.width, self.height)


@dataclass(frozen=True)
class Buttons:
    """Arcade buttons (BCM GPIO numbers, wired to ground) and their optional LEDs (None: none)."""

    record: int = 17
    next: int = 27
    back: int = 22
    record_led: int | None = None
    next_led: int | None = None
    back_led: int | None = None


@dataclass(frozen=True)
class Devices:
    """Which hardware the booth drives, and where it is connected.

    `light_frequency_hz` is the ring light's PWM frequency. The camera's rolling shutter films
    each row over the exposure time, so a PWM period that does not fit a whole number of times
    into the exposure shows as horizontal bands. In a 50 Hz country the camera locks exposure
    to multiples of 10 ms (the 100 Hz flicker of ceiling lights); a multiple of 100 Hz fits
    those exactly. 1000 Hz puts ten PWM periods into each 10 ms, so even a short exposure sees
    little ripple, while staying well inside software PWM (lgpio: up to 10 kHz, where 1 % duty
    steps of 10 µs are still larger than its timing jitter).
    """

    backend: str = "sim"  # "pi" or "sim"
    light_pin: int = 18
    light_frequency_hz: int = 1000
    light_level: float = 0.6  # constant duty cycle 0..1 until the light controller drives it
    buttons: Buttons = field(default_factory=Buttons)
    mic_device: str = ""  # ALSA card name, e.g. "USB"; "" = the first USB card that captures
    # Sound the microphone delivers later than ALSA tells (inside its own converter): measured
    # by `booth doctor --record` as the audio/video offset, and taken off every chunk's time.
    mic_latency_ms: float = 0.0
    speaker_device: str = ""
    # The "occupied" light outside the door (None: none fitted): on from a candidate's first
    # action until the session ends, blinking while a take records if blink_while_recording.
    occupied_pin: int | None = None
    occupied_blink_while_recording: bool = False


@dataclass(frozen=True)
class Recording:
    """How takes are recorded: video mode, bitrate, audio rate, and the free disk kept spare."""

    width: int = 1920
    height: int = 1080
    fps: int = 30
    bitrate_bps: int = 8_000_000
    audio_rate: int = 48_000
    flicker_period_us: int = 10_000  # mains flicker the camera avoids; 0 = none (60 Hz: 8333)
    disk_margin_bytes: int = 500_000_000


FOCUS_MODES = ("continuous", "distance")
"""How an autofocus camera (Camera Module 3) focuses: `CameraSettings.focus`."""


@dataclass(frozen=True)
class CameraSettings:
    """The camera's lens. Fixed-focus modules (HQ with a manual lens, Camera Module 2) need none.

    focus: "continuous" (default): libcamera's continuous autofocus follows the candidate;
    "distance": the lens is set once to `subject_distance_m`, for a chair that does not move.
    Without either, a Camera Module 3 stays at libcamera's default lens position, 1 dioptre
    (1 m), behind a candidate at 0.7–0.9 m: a soft face.
    subject_distance_m: the candidate's distance from the lens, metres (the "distance" focus).
    """

    focus: str = "continuous"
    subject_distance_m: float = 0.8


DRIVERS = ("auto", "sysfs", "gpiozero")


METERINGS = ("face", "frame")
"""What the camera's exposure can aim at: `LightSettings.metering`."""


@dataclass(frozen=True)
class LightSettings:
    """How the ring light is driven and controlled.

    driver: "auto" (the default: "sysfs" where a PWM chip drives `devices.light_pin`, as
    `dtoverlay=pwm` in config.txt makes one; "gpiozero" elsewhere), "sysfs" (the kernel's
    hardware PWM, `/sys/class/pwm`: steps of one nanosecond, no CPU, no jitter) or "gpiozero"
    (PWMLED on `devices.light_pin`: lgpio's software PWM, steps of 0.1 % at 1 kHz).
    pwmchip: "auto" (find the chip that drives `devices.light_pin` by its device path) or the
    chip's name, e.g. "pwmchip2". channel: the chip's channel, -1 = from the pin.
    sysfs_frequency_hz: hardware PWM frequency; 20 kHz puts 200 periods into a 10 ms exposure,
    so rolling-shutter rows never see a part-period, and is above hearing (coil whine).
    min_duty: duty below which the LED driver stays dark; the light's first step starts there.
    target_exposure_us × target_gain: the exposure × gain the controller keeps the camera at.
    30 ms (three 10 ms mains flicker periods, inside a 30 fps frame) at gain 1.1: the light, not
    the gain, brightens the face (low noise), and the 10 % above gain 1 keeps a settled
    exposure from dropping to 20 ms (whole flicker periods) with 1.5 times the gain.
    idle_lightness: the light while nobody is in the booth (0 = off), as lightness 0..1.
    deadband: relative exposure × gain error left alone, against hunting.
    slew_per_s: fastest change of light output (of full light per second) in a session.
    recording_slew_per_s: fastest change while recording (0 = hold), so takes do not pulse.
    ramp_s: seconds of a soft ramp at session start and end (from off to full).
    metering: what the camera's exposure aims at. "face" (default): the candidate's face inside
    the framing guide: the camera meters a spot (libcamera's AeMeteringMode) and the booth's
    face meter sets its ExposureValue so the face's mean luma is `face_level`; the light then
    brings exposure × gain to the target, so the face is lit, not amplified. "frame": the whole
    picture, as the camera comes (the backdrop then decides how bright the face is).
    face_level: the face's mean luma to aim at, 0..1 of full scale (skin at about 55–60 %).
    """

    driver: str = "auto"
    pwmchip: str = "auto"
    channel: int = -1
    sysfs_frequency_hz: int = 20_000
    min_duty: float = 0.0
    target_exposure_us: float = 30_000.0
    target_gain: float = 1.1
    idle_lightness: float = 0.3
    deadband: float = 0.02
    slew_per_s: float = 4.0
    recording_slew_per_s: float = 0.02
    ramp_s: float = 2.0
    metering: str = "face"
    face_level: float = 0.57

    @property
    def target_exposure_gain(self) -> float:
        """Target exposure time × total gain, in µs."""
        return self.target_exposure_us * self.target_gain


@dataclass(frozen=True)
class Paths:
    """Where interviews are installed, where finished sessions wait for upload, and state."""

    interviews: Path = Path("/var/lib/booth/interviews")
    spool: Path = Path("/var/lib/booth/spool")
    state: Path = Path("/var/lib/booth/state")
    # Where a running session's takes are, if not in the spool: a tmpfs keeps them in RAM (a
    # power cut loses the session; nothing of it ever reaches the card in clear).
    scratch: Path | None = None


@dataclass(frozen=True)
class Privacy:
    """`[privacy]`: `recipients`, the organisation's age X25519 public keys ("age1…"). When
    set, every finished session is stored, and uploaded, only encrypted to them."""

    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metrics:
    """Fleet metrics for Prometheus (`[metrics]`), written by `booth-metrics.service`.

    textfile_dir: node_exporter's textfile collector directory; the booth writes `booth.prom`
    there (Debian's prometheus-node-exporter reads /var/lib/prometheus/node-exporter).
    interval_seconds: the file is rewritten at least this often, and at once when the kiosk's
    state, the upload queue or the clock changes; the stale-metrics alert fires when it is not.
    """

    textfile_dir: Path = Path("/var/lib/prometheus/node-exporter")
    interval_seconds: int = 30


@dataclass(frozen=True)
class Simulation:
    """How far the simulated devices are from perfect (`[simulation]`; all 0: one perfect
    clock). Only the simulator reads these; a real booth ignores them.

    mic_clock_ppm: the USB microphone's sample clock error against the camera's, in ppm.
    mic_latency_ms: how long after a sound its samples reach the reader (reported to the
    booth as ALSA reports a driver's delay).
    mic_jitter_ms: jitter (standard deviation) of the microphone's period timestamps.
    frame_jitter_ms: jitter (standard deviation) of the camera frames' timestamps.
    dropped_frames_per_minute: frames the simulated camera drops, on average.
    """

    mic_clock_ppm: float = 0.0
    mic_latency_ms: float = 0.0
    mic_jitter_ms: float = 0.0
    frame_jitter_ms: float = 0.0
    dropped_frames_per_minute: float = 0.0


@dataclass(frozen=True)
class Sound:
    """`[sound]`: the short cues that guide a candidate who is looking at the camera.

    cues: beep on each number of the 3-2-1, as recording starts, at the time warning and at the
    stop (through the speaker the clips use; each one also goes to events.jsonl).
    volume: the cues' loudness in percent of the speaker's full scale (their peak); the
    default 15 is about as loud as speech in a recruiter's clip. 0 keeps them silent (the
    events are still written).
    """

    cues: bool = True
    volume: int = 15


@dataclass(frozen=True)
class Help:
    """How a candidate reaches staff, shown on the help screen (`[help]`).

    text: the booth's own help text per language ({} = the built-in one). phone: a number to
    call ("" = none). location: where staff are, per language ("" key: one text for all).
    wait_minutes: how long help (and "end the interview?") waits for a candidate who went to
    fetch staff before the booth asks "are you still there?"; the help screen says it.
    """

    text: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    location: dict[str, str] = field(default_factory=dict)
    wait_minutes: int = 10


@dataclass(frozen=True)
class Settings:
    """Everything a booth is configured with. `source` is the file read, or None for defaults."""

    source: Path | None = None
    booth_id: str = field(default_factory=socket.gethostname)
    language: str = "sv"
    languages: tuple[str, ...] = ("sv", "en")
    display: Display = field(default_factory=Display)
    devices: Devices = field(default_factory=lambda: Devices(backend=detect_backend()))
    recording: Recording = field(default_factory=Recording)
    camera: CameraSettings = field(default_factory=CameraSettings)
    paths: Paths = field(default_factory=Paths)
    hours: OpeningHours = field(default_factory=OpeningHours)
    timing: Timing = field(default_factory=Timing)
    light: LightSettings = field(default_factory=LightSettings)
    simulation: Simulation = field(default_factory=Simulation)
    metrics: Metrics = field(default_factory=Metrics)
    privacy: Privacy = field(default_factory=Privacy)
    sync: dict[str, Any] = field(default_factory=dict)  # checked by the sync agent
    help: Help = field(default_factory=Help)
    sound: Sound = field(default_factory=Sound)


def load_settings(path: Path | None) -> Settings:
    """Read booth settings from `path`; built-in defaults when `path` is None or missing."""
    if path is None or not path.exists():
        return Settings()
    toml = read_toml(path)
    root = toml.root()
    base = path.resolve().parent
    defaults = Settings()
    booth_id = root.string(
        "booth_id",
        "",
        pattern=re.compile(f"|{BOOTH_ID.pattern}"),
        expected="letters, digits, . _ -",
    )
    languages = root.strings("languages", defaults.languages, pattern=LANGUAGE, non_empty=True)
    language = root.string("language", defaults.language, pattern=LANGUAGE)
    if languages and language not in languages:
        root.problem(
            "language", f'"{language}" is not in languages', "one of " + ", ".join(languages)
        )
    settings = Settings(
        source=path,
        booth_id=booth_id or defaults.booth_id,
        language=language,
        languages=languages,
        display=_display(root.table("display")),
        devices=_devices(root.table("devices")),
        recording=_recording(root.table("recording")),
        camera=_camera(root.table("camera")),
        paths=_paths(root.table("paths"), base),
        hours=_hours(root.table("hours")),
        timing=_timing(root.table("timing")),
        light=_light(root.table("light")),
        simulation=_simulation(root.table("simulation")),
        metrics=_metrics(root.table("metrics"), base),
        privacy=_privacy(root.table("privacy")),
        sync=_sync(root),
        help=_help(root.table("help"), languages or defaults.languages),
        sound=_sound(root.table("sound")),
    )
    # The help wait is set with the help screen it belongs to, and counted by the flow's timing.
    settings = replace(
        settings,
        timing=replace(settings.timing, help_wait_seconds=60.0 * settings.help.wait_minutes),
    )
    root.finish()
    if toml.problems:
        raise ConfigError(toml.problems)
    return settings


CONNECTOR = re.compile(r"auto|(card\d+-)?[A-Za-z]+(-[A-Za-z])?-\d+")
"""A DRM connector name as /sys/class/drm spells it (after `cardN-`)."""


def _display(t: Table | None) -> Display:
    d = Display()
    if t is None:
        return d
    display = Display(
        width=t.integer("width", d.width, minimum=320, maximum=7680),
        height=t.integer("height", d.height, minimum=240, maximum=4320),
        rotation=t.integer("rotation", d.rotation, choices=(0, 90, 180, 270)),
        fullscreen=t.boolean("fullscreen", d.fullscreen),
        connector=t.string(
            "connector",
            d.connector,
            pattern=CONNECTOR,
            expected='"auto" or a DRM connector such as "DSI-1" or "HDMI-A-1" (booth devices)',
        ),
    )
    t.finish()
    return display


def _optional_pin(t: Table, key: str) -> int | None:
    return t.integer(key, None, **GPIO, expected="a BCM GPIO number from 2 to 27")


def _buttons(t: Table | None) -> Buttons:
    b = Buttons()
    if t is None:
        return b
    pin = "a BCM GPIO number from 2 to 27"
    buttons = Buttons(
        record=t.integer("record", b.record, **GPIO, expected=pin),
        next=t.integer("next", b.next, **GPIO, expected=pin),
        back=t.integer("back", b.back, **GPIO, expected=pin),
        record_led=_optional_pin(t, "record_led"),
        next_led=_optional_pin(t, "next_led"),
        back_led=_optional_pin(t, "back_led"),
    )
    pins = [p for p in (buttons.record, buttons.next, buttons.back) if p is not None]
    pins += [p for p in (buttons.record_led, buttons.next_led, buttons.back_led) if p is not None]
    if len(set(pins)) != len(pins):
        t.problem(None, "two buttons or LEDs share a GPIO", "a different pin for each")
    t.finish()
    return buttons


def _devices(t: Table | None) -> Devices:
    d = Devices()
    if t is None:
        return d
    backend = t.string("backend", "auto", choices=("auto", "pi", "sim"))
    devices = Devices(
        backend=detect_backend() if backend == "auto" else backend,
        light_pin=t.integer("light_pin", d.light_pin, **GPIO, expected="a BCM GPIO number"),
        light_frequency_hz=t.integer(
            "light_frequency_hz", d.light_frequency_hz, minimum=50, maximum=100_000
        ),
        light_level=t.number("light_level", d.light_level, minimum=0.0, maximum=1.0),
        buttons=_buttons(t.table("buttons")),
        mic_device=t.string("mic_device", d.mic_device, expected='an ALSA card name, or ""'),
        mic_latency_ms=t.number("mic_latency_ms", d.mic_latency_ms, minimum=-200, maximum=500),
        speaker_device=t.string(
            "speaker_device", d.speaker_device, expected='an ALSA card name, or ""'
        ),
        occupied_pin=_optional_pin(t, "occupied_pin"),
        occupied_blink_while_recording=t.boolean(
            "occupied_blink_while_recording", d.occupied_blink_while_recording
        ),
    )
    button_pins = (devices.buttons.record, devices.buttons.next, devices.buttons.back)
    if devices.light_pin in button_pins:
        t.problem("light_pin", "is also a button's pin", "a pin of its own")
    _occupied_clash(t, devices)
    t.finish()
    return devices


def _occupied_clash(t: Table, devices: Devices) -> None:
    """The occupied light needs a pin no other part of the booth uses."""
    pin = devices.occupied_pin
    if pin is None:
        return
    b = devices.buttons
    others = {
        "light_pin": devices.light_pin,
        "buttons.record": b.record,
        "buttons.next": b.next,
        "buttons.back": b.back,
        "buttons.record_led": b.record_led,
        "buttons.next_led": b.next_led,
        "buttons.back_led": b.back_led,
    }
    for name, other in others.items():
        if other == pin:
            t.problem(
                "occupied_pin",
                f"GPIO{pin} is also devices.{name}",
                "a pin of its own, e.g. 26 (header pin 37; see hardware/README.md)",
            )


def _camera(t: Table | None) -> CameraSettings:
    c = CameraSettings()
    if t is None:
        return c
    camera = CameraSettings(
        focus=t.string("focus", c.focus, choices=FOCUS_MODES),
        subject_distance_m=t.number(
            "subject_distance_m", c.subject_distance_m, minimum=0.2, maximum=10.0
        ),
    )
    t.finish()
    return camera


def _recording(t: Table | None) -> Recording:
    r = Recording()
    if t is None:
        return r
    recording = Recording(
        width=t.integer("width", r.width, minimum=160, maximum=3840),
        height=t.integer("height", r.height, minimum=120, maximum=2160),
        fps=t.integer("fps", r.fps, minimum=1, maximum=120),
        bitrate_bps=t.integer("bitrate_bps", r.bitrate_bps, minimum=100_000, maximum=100_000_000),
        audio_rate=t.integer("audio_rate", r.audio_rate, choices=(16_000, 32_000, 44_100, 48_000)),
        flicker_period_us=t.integer(
            "flicker_period_us", r.flicker_period_us, minimum=0, maximum=100_000
        ),
        disk_margin_bytes=t.integer("disk_margin_bytes", r.disk_margin_bytes, minimum=0),
    )
    if recording.width % 2 or recording.height % 2:
        t.problem("width", "width and height must be even for H.264", "even numbers")
    t.finish()
    return recording


def _path(t: Table, key: str, default: Path, base: Path) -> Path:
    text = t.string(key, str(default), expected="a directory path")
    if not text or "\0" in text:
        t.problem(key, "is empty or not a path", "a directory path")
        return default
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def _paths(t: Table | None, base: Path) -> Paths:
    p = Paths()
    if t is None:
        return p
    paths = Paths(
        interviews=_path(t, "interviews", p.interviews, base),
        spool=_path(t, "spool", p.spool, base),
        state=_path(t, "state", p.state, base),
        scratch=_path(t, "scratch", Path(), base) if "scratch" in t.data else None,
    )
    t.finish()
    return paths


def _privacy(t: Table | None) -> Privacy:
    if t is None:
        return Privacy()
    expected = 'age X25519 recipients, e.g. ["age1…"] (from age-keygen -y key.txt)'
    texts = t.strings("recipients", (), expected=expected)
    good = []
    for i, text in enumerate(texts):
        try:
            Recipient.from_str(text)
        except RecipientError:
            t.problem("recipients", f"item {i + 1} is not an age X25519 recipient", expected)
            continue
        good.append(text)
    t.finish()
    return Privacy(recipients=tuple(good) if len(good) == len(texts) else ())


def _hours(t: Table | None) -> OpeningHours:
    if t is None or not t.data:
        return OpeningHours()
    days = []
    for day in WEEKDAYS:
        text = t.string(day, "closed", expected='opening hours like "08:00-17:00", or "closed"')
        try:
            days.append(parse_day(text))
        except ValueError as err:
            t.problem(day, str(err), 'hours like "08:00-17:00" or "08:00-12:00, 13:00-16:00"')
            days.append(())
    t.finish()
    return OpeningHours(tuple(days))


def _timing(t: Table | None) -> Timing:
    d = Timing()
    if t is None:
        return d
    seconds: IntRange = {"minimum": 1, "maximum": 3600}
    timing = Timing(
        inactivity_seconds=t.integer("inactivity_seconds", int(d.inactivity_seconds), **seconds),
        inactive_grace_seconds=t.integer(
            "inactive_grace_seconds", int(d.inactive_grace_seconds), **seconds
        ),
        done_seconds=t.integer("done_seconds", int(d.done_seconds), **seconds),
        countdown_seconds=t.integer(
            "countdown_seconds", int(d.countdown_seconds), minimum=0, maximum=10
        ),
        warning_seconds=t.integer(
            "warning_seconds", int(d.warning_seconds), minimum=0, maximum=600
        ),
        # Bounded so that no setting allows more guesses than the README's bound.
        code_attempts=t.integer("code_attempts", d.code_attempts, minimum=1, maximum=5),
        code_lockout_seconds=t.integer(
            "code_lockout_seconds", int(d.code_lockout_seconds), minimum=60, maximum=900
        ),
    )
    t.finish()
    return timing


def _simulation(t: Table | None) -> Simulation:
    s = Simulation()
    if t is None:
        return s
    simulation = Simulation(
        mic_clock_ppm=t.number("mic_clock_ppm", s.mic_clock_ppm, minimum=-5000, maximum=5000),
        mic_latency_ms=t.number("mic_latency_ms", s.mic_latency_ms, minimum=0, maximum=1000),
        mic_jitter_ms=t.number("mic_jitter_ms", s.mic_jitter_ms, minimum=0, maximum=20),
        frame_jitter_ms=t.number("frame_jitter_ms", s.frame_jitter_ms, minimum=0, maximum=10),
        dropped_frames_per_minute=t.number(
            "dropped_frames_per_minute", s.dropped_frames_per_minute, minimum=0, maximum=600
        ),
    )
    t.finish()
    return simulation


def _metrics(t: Table | None, base: Path) -> Metrics:
    m = Metrics()
    if t is None:
        return m
    metrics = Metrics(
        textfile_dir=_path(t, "textfile_dir", m.textfile_dir, base),
        # node_exporter's textfile collector has no staleness of its own: the alert on the
        # file's age needs a bound, so no slower than once a minute.
        interval_seconds=t.integer("interval_seconds", m.interval_seconds, minimum=1, maximum=60),
    )
    t.finish()
    return metrics


def _light(t: Table | None) -> LightSettings:
    d = LightSettings()
    if t is None:
        return d
    light = LightSettings(
        driver=t.string("driver", d.driver, choices=DRIVERS),
        pwmchip=t.string(
            "pwmchip",
            d.pwmchip,
            pattern=re.compile(r"auto|pwmchip\d+"),
            expected="auto or pwmchipN",
        ),
        channel=t.integer("channel", d.channel, minimum=-1, maximum=15),
        sysfs_frequency_hz=t.integer(
            "sysfs_frequency_hz", d.sysfs_frequency_hz, minimum=1000, maximum=1_000_000
        ),
        min_duty=t.number("min_duty", d.min_duty, minimum=0.0, maximum=0.99),
        target_exposure_us=t.number(
            "target_exposure_us", d.target_exposure_us, minimum=100, maximum=66_666
        ),
        target_gain=t.number("target_gain", d.target_gain, minimum=1.0, maximum=16.0),
        idle_lightness=t.number("idle_lightness", d.idle_lightness, minimum=0.0, maximum=1.0),
        deadband=t.number("deadband", d.deadband, minimum=0.0, maximum=0.2),
        slew_per_s=t.number("slew_per_s", d.slew_per_s, minimum=0.01, maximum=100.0),
        recording_slew_per_s=t.number(
            "recording_slew_per_s", d.recording_slew_per_s, minimum=0.0, maximum=1.0
        ),
        ramp_s=t.number("ramp_s", d.ramp_s, minimum=0.0, maximum=30.0),
        metering=t.string("metering", d.metering, choices=METERINGS),
        face_level=t.number("face_level", d.face_level, minimum=0.2, maximum=0.9),
    )
    t.finish()
    return light


def _sync(root: Table) -> dict[str, Any]:
    value = root.anything("sync")
    if value is None:
        return {}
    if not isinstance(value, dict):
        root.problem("sync", "is not a table", "a [sync] table")
        return {}
    return dict(value)


def _per_language(t: Table, key: str, languages: tuple[str, ...]) -> dict[str, str]:
    """One text for every language, or a table with a text per language."""
    value = t.anything(key)
    expected = 'a text, or one per language, e.g. { sv = "...", en = "..." }'
    if value is None:
        return {}
    if isinstance(value, str) and value.strip():
        return {"": value.strip()}
    if not isinstance(value, dict):
        t.problem(key, "is not a text or a table of texts", expected)
        return {}
    texts = {}
    for lang, text in value.items():
        if lang not in languages:
            t.problem(key, f"language {lang} is not in languages", expected, sub=(lang,))
        elif not isinstance(text, str) or not text.strip():
            t.problem(key, f"text for {lang} is empty or not a string", expected, sub=(lang,))
        else:
            texts[lang] = text.strip()
    return texts


def _sound(t: Table | None) -> Sound:
    d = Sound()
    if t is None:
        return d
    sound = Sound(
        cues=t.boolean("cues", d.cues),
        volume=t.integer(
            "volume",
            d.volume,
            minimum=0,
            maximum=100,
            expected="a whole percent of the speaker's full scale, 0 to 100 (15 is about as "
            "loud as speech in a clip)",
        ),
    )
    t.finish()
    return sound


def _help(t: Table | None, languages: tuple[str, ...]) -> Help:
    if t is None:
        return Help()
    help_ = Help(
        text=_per_language(t, "text", languages),
        phone=t.string("phone", "", expected='a phone number as candidates should dial it, or ""'),
        location=_per_language(t, "location", languages),
        # At least a minute: the walk to the reception and back. At most an hour: a booth
        # must not stay taken by a candidate who left for good.
        wait_minutes=t.integer(
            "wait_minutes",
            Help().wait_minutes,
            minimum=1,
            maximum=60,
            expected="whole minutes from 1 to 60 that help waits for a candidate fetching staff",
        ),
    )
    t.finish()
    return help_
